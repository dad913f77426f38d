// The operator console: sign in, presence, the queue, the screen-pop with the patient and the
// live transcript, accept or decline, free slots and booking, the wrap-up. Russian first.
import { api, ApiError, DISPOSITION_WORDS, fmtTime, h, hub, lang, t, toggleLang } from './common.js';

interface Line { atMs: number; who: 'robot' | 'callee' | 'system'; text: string }
interface Slot { id: string; startsAt: string; resource: string; specialty: string }
interface Handoff {
  id: string; queue: string; state: string; queuedAt: number; operator: string | null; priority: number;
  context: { patient: { name: string; ageBand: string | null; phone: string }; clinic: string; timeZone: string; campaign: { id: string; name: string }; reason: string; offered: Slot[]; notes: string | null; script: string };
  transcript: Line[];
}
interface Me { login: string; name: string; role: 'operator' | 'supervisor'; presence: string | null }
interface Operator { id: string; presence: string; handoffId: string | null }

const WRAP_UP = ['BOOKED', 'DECLINED', 'CALLBACK_REQUESTED', 'ALREADY_DONE', 'CONFIRMED', 'RESCHEDULED', 'CANCELLED_BY_PATIENT', 'WRONG_PERSON', 'WRONG_NUMBER', 'MOVED', 'DECEASED', 'DNC', 'NEEDS_HUMAN'];

const root = document.getElementById('app')!;
let me: Me | null = null;
let presence = 'away';
let queue: Handoff[] = [];
/** the call on screen: offered, on the line, or ended and being wrapped up */
let call: { h: Handoff; phase: 'offered' | 'connected' | 'ended'; slots: Slot[]; visits: { bookingId: string; slot: Slot }[]; booked: Slot | null; moveTo: Record<string, string>; form: { disposition: string | null; note: string; when: string } } | null = null;
let notice: string | null = null;

async function start(): Promise<void> {
  document.documentElement.lang = lang;
  try {
    me = await api<Me>('GET', '/api/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return loginForm();
    throw err;
  }
  presence = me.presence ?? 'away';
  hub(onMessage);
  draw();
}

function loginForm(error?: string): void {
  document.title = t().title;
  const login = h('input', { name: 'login', autocomplete: 'username', required: true, 'data-testid': 'login' }) as HTMLInputElement;
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'password' }) as HTMLInputElement;
  root.replaceChildren(h('form', {
    class: 'login', onsubmit: async (e: Event) => {
      e.preventDefault();
      try {
        await api('POST', '/api/login', { login: login.value.trim(), password: password.value });
        location.reload();
      } catch {
        loginForm(t().wrongLogin);
      }
    },
  }, h('h1', {}, 'zvonar'), h('label', {}, t().login, login), h('label', {}, t().password, password),
  error ? h('p', { class: 'error', role: 'alert' }, error) : null,
  h('button', { type: 'submit', 'data-testid': 'sign-in' }, t().signIn),
  h('button', { type: 'button', class: 'link', onclick: () => { toggleLang(); loginForm(error); } }, t().language)));
}

function onMessage(msg: { type: string; [k: string]: unknown }): void {
  switch (msg.type) {
    case 'state': {
      queue = msg.queue as Handoff[];
      const mine = msg.me as Operator | null;
      if (mine) presence = mine.presence;
      break;
    }
    case 'offer':
      call = { h: msg.handoff as Handoff, phase: 'offered', slots: [], visits: [], booked: null, moveTo: {}, form: { disposition: null, note: '', when: '' } };
      notice = null;
      break;
    case 'connected':
      if (call && call.h.id === (msg.handoff as Handoff).id) call.phase = 'connected';
      else call = { h: msg.handoff as Handoff, phase: 'connected', slots: [], visits: [], booked: null, moveTo: {}, form: { disposition: null, note: '', when: '' } };
      void loadSlots();
      break;
    case 'withdrawn':
      if (call && call.h.id === msg.handoffId && call.phase === 'offered') {
        call = null;
        notice = `${t().withdrawn}: ${String(msg.why)}`;
      }
      break;
    case 'line':
      if (call && call.h.id === msg.handoffId) call.h.transcript = [...call.h.transcript, msg.line as Line];
      break;
    case 'ended':
      if (call && call.h.id === msg.handoffId) call.phase = 'ended';
      break;
    case 'problem':
      notice = String(msg.message);
      break;
  }
  draw();
}

async function loadSlots(): Promise<void> {
  if (!call) return;
  const id = call.h.id;
  const [slots, visits] = await Promise.all([
    api<Slot[]>('GET', `/api/handoffs/${id}/slots`).catch(() => []),
    api<{ bookingId: string; slot: Slot }[]>('GET', `/api/handoffs/${id}/visits`).catch(() => []),
  ]);
  if (call?.h.id !== id) return;
  call.slots = slots;
  call.visits = visits;
  draw();
}

async function act(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
    notice = null;
  } catch (err) {
    notice = err instanceof ApiError && err.code === 'HANDOFF_GONE' ? `${t().taken}: ${err.message}` : err instanceof Error ? err.message : String(err);
    if (err instanceof ApiError && err.code === 'HANDOFF_GONE' && call?.phase === 'offered') call = null;
  }
  draw();
}

function draw(): void {
  if (!me) return;
  const w = t();
  document.title = w.title;
  const header = h('header', {},
    h('strong', {}, 'zvonar'), h('span', { class: 'who' }, me.name),
    me.role === 'operator' ? h('label', {}, `${w.presence}: `, h('select', {
      'data-testid': 'presence', disabled: presence === 'busy' || presence === 'wrap-up',
      onchange: (e: Event) => act(() => api('POST', '/api/presence', { presence: (e.target as HTMLSelectElement).value })),
    }, ...(['available', 'away'] as const).map((p) => h('option', { value: p, selected: presence === p }, w[p])),
    ...(presence === 'busy' || presence === 'wrap-up' ? [h('option', { value: presence, selected: true }, w[presence])] : []))) : null,
    h('span', { class: `badge ${presence}`, 'data-testid': 'presence-badge' }, w[presence as 'available'] ?? presence),
    me.role === 'supervisor' ? h('a', { href: '/campaigns' }, w.campaigns) : null,
    h('button', { class: 'link', onclick: () => { toggleLang(); draw(); } }, w.language),
    h('button', { class: 'link', 'data-testid': 'sign-out', onclick: async () => { await api('POST', '/api/logout').catch(() => {}); location.reload(); } }, w.signOut));
  const queueList = h('section', { class: 'queue' }, h('h2', {}, w.queue),
    queue.length === 0 ? h('p', { class: 'muted' }, w.emptyQueue) : h('ul', {}, ...queue.map((q) => h('li', { 'data-testid': 'queue-item' },
      h('span', {}, q.queue), ' ', h('span', { class: 'muted' }, `${w.state[q.state as 'waiting'] ?? q.state}, ${Math.round((Date.now() - q.queuedAt) / 1000)} s`)))));
  root.replaceChildren(header, notice ? h('p', { class: 'notice', role: 'status', 'data-testid': 'notice' }, notice) : '', h('main', {}, queueList, callCard()));
}

function callCard(): HTMLElement {
  const w = t();
  if (!call) return h('section', { class: 'call idle', 'data-testid': 'idle' }, h('p', {}, w.idle));
  const { h: c, phase } = call;
  const p = c.context.patient;
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, w.patient), h('dd', { 'data-testid': 'patient' }, p.name),
    h('dt', {}, w.age), h('dd', {}, p.ageBand ?? '—'),
    h('dt', {}, w.phone), h('dd', {}, p.phone),
    h('dt', {}, w.clinic), h('dd', {}, c.context.clinic),
    h('dt', {}, w.campaign), h('dd', {}, `${c.context.campaign.name} (${c.context.script})`),
    h('dt', {}, w.reason), h('dd', { 'data-testid': 'reason' }, c.context.reason),
    c.context.notes ? h('dt', {}, w.note) : null, c.context.notes ? h('dd', {}, c.context.notes) : null,
    c.context.offered.length ? h('dt', {}, w.offeredSlots) : null,
    c.context.offered.length ? h('dd', {}, c.context.offered.map((s) => fmtTime(s.startsAt, c.context.timeZone)).join('; ')) : null);
  const transcript = h('section', { class: 'transcript' }, h('h3', {}, w.transcript), h('ol', { 'data-testid': 'transcript' },
    ...c.transcript.map((l) => h('li', { class: l.who }, h('span', { class: 'who' }, w[l.who]), ' ', l.text))));
  const buttons = phase === 'offered'
    ? h('div', { class: 'actions' },
      h('button', { class: 'primary', 'data-testid': 'accept', onclick: () => act(() => api('POST', `/api/handoffs/${c.id}/accept`)) }, w.accept),
      h('button', { 'data-testid': 'decline', onclick: () => act(async () => { await api('POST', `/api/handoffs/${c.id}/decline`); call = null; }) }, w.decline))
    : phase === 'connected'
      ? h('div', { class: 'actions' }, h('span', { class: 'badge busy' }, w.connected),
        h('button', { class: 'danger', 'data-testid': 'hangup', onclick: () => act(() => api('POST', `/api/handoffs/${c.id}/hangup`)) }, w.hangup))
      : h('div', { class: 'actions' }, h('span', { class: 'badge' }, w.ended));
  const slots = phase === 'offered' ? null : h('section', { class: 'slots' }, h('h3', {}, w.slots),
    call.booked ? h('p', { 'data-testid': 'booked' }, `${w.booked}: ${fmtTime(call.booked.startsAt, c.context.timeZone)}`) : null,
    h('ul', {}, ...call.slots.map((s) => h('li', {}, `${fmtTime(s.startsAt, c.context.timeZone)} · ${s.resource}`, ' ',
      h('button', {
        'data-testid': 'book', disabled: call!.booked !== null, onclick: () => act(async () => {
          const r = await api<{ slot: Slot }>('POST', `/api/handoffs/${c.id}/book`, { slotId: s.id });
          call!.booked = r.slot;
          await loadSlots();
        }),
      }, w.book)))));
  const visits = phase === 'offered' || call.visits.length === 0 ? null : h('section', { class: 'visits' }, h('h3', {}, w.visits),
    h('ul', {}, ...call.visits.map((v) => {
      const to = h('select', { 'data-testid': 'move-to', onchange: (e: Event) => { call!.moveTo[v.bookingId] = (e.target as HTMLSelectElement).value; } },
        h('option', { value: '' }, w.moveTo), ...call!.slots.map((s) => h('option', { value: s.id, selected: call!.moveTo[v.bookingId] === s.id }, fmtTime(s.startsAt, c.context.timeZone))));
      return h('li', { 'data-testid': 'visit' }, `${fmtTime(v.slot.startsAt, c.context.timeZone)} · ${v.slot.resource} `,
        to, ' ',
        h('button', { 'data-testid': 'move', onclick: () => act(async () => {
          const slotId = call!.moveTo[v.bookingId];
          if (!slotId) return;
          await api('POST', `/api/handoffs/${c.id}/visits/${v.bookingId}/move`, { slotId });
          // a visit booked in this call and moved is still this call's booking; an older one moved is a reschedule
          if (call!.booked?.id === v.slot.id) call!.booked = call!.slots.find((x) => x.id === slotId) ?? call!.booked;
          else call!.form.disposition ??= 'RESCHEDULED';
          await loadSlots();
        }) }, w.move), ' ',
        h('button', { class: 'danger', 'data-testid': 'cancel-visit', onclick: () => act(async () => {
          await api('POST', `/api/handoffs/${c.id}/visits/${v.bookingId}/cancel`);
          if (call!.booked?.id === v.slot.id) call!.booked = null;
          call!.form.disposition ??= 'CANCELLED_BY_PATIENT';
          await loadSlots();
        }) }, w.cancelVisit));
    })));
  return h('section', { class: `call ${phase}`, 'data-testid': 'call' }, h('h2', {}, phase === 'offered' ? w.offered : c.queue), facts, buttons, slots, visits, phase === 'ended' ? wrapUp() : null, transcript);
}

function wrapUp(): HTMLElement {
  const w = t();
  const c = call!;
  // what is typed survives the redraws the hub's messages cause
  const f = c.form;
  const chosen = f.disposition ?? (c.booked ? 'BOOKED' : 'DECLINED');
  const disposition = h('select', { name: 'disposition', 'data-testid': 'disposition', onchange: () => { f.disposition = disposition.value; } },
    ...WRAP_UP.map((d) => h('option', { value: d, selected: d === chosen }, DISPOSITION_WORDS[lang][d] ?? d))) as HTMLSelectElement;
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000, 'data-testid': 'note', oninput: () => { f.note = note.value; } }) as HTMLTextAreaElement;
  note.value = f.note;
  const when = h('input', { type: 'datetime-local', name: 'callbackAt', 'data-testid': 'callback-at', value: f.when, oninput: () => { f.when = when.value; } }) as HTMLInputElement;
  return h('form', {
    class: 'wrap-up', onsubmit: (e: Event) => {
      e.preventDefault();
      void act(async () => {
        await api('POST', `/api/handoffs/${c.h.id}/wrap-up`, {
          disposition: disposition.value, note: note.value.trim() || null,
          callbackAt: disposition.value === 'CALLBACK_REQUESTED' && when.value ? new Date(when.value).toISOString() : null,
        });
        call = null;
      });
    },
  }, h('h3', {}, w.wrapUp), h('label', {}, w.disposition, disposition), h('label', {}, w.callbackAt, when), h('label', {}, w.yourNote, note),
  h('button', { type: 'submit', class: 'primary', 'data-testid': 'wrap-up' }, w.save));
}

// the queue's waiting times tick
setInterval(() => {
  if (queue.length) draw();
}, 5000);

void start();
