// The supervisors' page: campaigns with their progress, rules and script version; pause, resume,
// stop; the attempts as CSV; the operators and the queue, live from the ws hub (no patient data).
import { api, h, hub, t, toggleLang } from './common.js';

interface Campaign { id: string; name: string; kind: string; status: string; dialog: string }
interface Detail extends Campaign { rules: unknown; status_lines: string[] }
interface Operator { login: string; name: string; presence: string; since: number }
interface Handoff { id: string; queue: string; state: string; queuedAt: number; context: { patient: { ageBand: string | null; phone: string }; campaign: { name: string } } }

const root = document.getElementById('app')!;
let campaigns: Campaign[] = [];
let detail: Detail | null = null;
let operators: Operator[] = [];
let queue: Handoff[] = [];
let notice: string | null = null;
let calls: { callId: string; startedAt: string; answeredAt: string | null; phone: string }[] = [];
let upload: { imported: number; rejected: number; already: number; lines: string[] } | null = null;

async function start(): Promise<void> {
  try {
    await api('GET', '/api/me');
  } catch {
    location.href = '/';
    return;
  }
  await refresh();
  hub((msg) => {
    if (msg.type !== 'state') return;
    operators = (msg.operators as Operator[] | undefined) ?? [];
    queue = msg.queue as Handoff[];
    draw();
  });
}

async function refresh(): Promise<void> {
  try {
    campaigns = await api<Campaign[]>('GET', '/api/campaigns');
    if (detail) {
      detail = await api<Detail>('GET', `/api/campaigns/${encodeURIComponent(detail.id)}`);
      calls = await api<typeof calls>('GET', `/api/campaigns/${encodeURIComponent(detail.id)}/calls`);
    }
    notice = null;
  } catch (err) {
    notice = err instanceof Error ? err.message : String(err);
  }
  draw();
}

async function act(id: string, action: 'pause' | 'resume' | 'stop'): Promise<void> {
  try {
    await api('POST', `/api/campaigns/${encodeURIComponent(id)}/${action}`);
  } catch (err) {
    notice = err instanceof Error ? err.message : String(err);
  }
  await refresh();
}

function draw(): void {
  const w = t();
  document.title = `zvonar — ${w.campaigns}`;
  root.replaceChildren(
    h('header', {}, h('strong', {}, 'zvonar'), h('span', {}, w.campaigns), h('a', { href: '/console' }, w.console),
      h('button', { class: 'link', onclick: () => { toggleLang(); draw(); } }, w.language)),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : '',
    h('main', { class: 'supervisor' },
      h('section', {}, h('h2', {}, w.campaigns), h('table', { 'data-testid': 'campaigns' },
        h('thead', {}, h('tr', {}, ...['ID', w.campaign, w.status, w.dialog, ''].map((x) => h('th', {}, x)))),
        h('tbody', {}, ...campaigns.map((c) => h('tr', { 'data-testid': `campaign-${c.id}` },
          h('td', {}, h('a', { href: '#', onclick: async (e: Event) => { e.preventDefault(); detail = { ...c, rules: null, status_lines: [] }; upload = null; await refresh(); } }, c.id)),
          h('td', {}, `${c.name} (${c.kind})`), h('td', { 'data-testid': 'status' }, c.status), h('td', {}, c.dialog),
          h('td', { class: 'actions' },
            c.status === 'active' ? h('button', { 'data-testid': 'pause', onclick: () => act(c.id, 'pause') }, w.pause) : null,
            c.status === 'paused' ? h('button', { 'data-testid': 'resume', onclick: () => act(c.id, 'resume') }, w.resume) : null,
            c.status !== 'done' ? h('button', { class: 'danger', onclick: () => { if (confirm(`${w.stop}: ${c.id}?`)) void act(c.id, 'stop'); } }, w.stop) : null,
            h('a', { href: `/api/campaigns/${encodeURIComponent(c.id)}/attempts.csv` }, w.attempts))))))),
      detail ? h('section', { 'data-testid': 'detail' }, h('h2', {}, `${detail.name}: ${w.progress}`), h('pre', {}, detail.status_lines.join('\n')),
        h('h3', {}, w.liveCalls), calls.length === 0 ? h('p', { class: 'muted' }, '—') : h('ul', { 'data-testid': 'live-calls' }, ...calls.map((c) => h('li', {}, `${c.phone} · ${new Date(c.startedAt).toLocaleTimeString()}${c.answeredAt ? '' : ` · ${w.ringing}`}`))),
        h('h3', {}, w.upload), uploadForm(detail.id),
        upload ? h('pre', { 'data-testid': 'upload-report' }, upload.lines.join('\n')) : null,
        h('h3', {}, w.dialog), h('img', { src: `/api/campaigns/${encodeURIComponent(detail.id)}/graph.svg`, alt: detail.dialog, class: 'graph' }),
        h('h3', {}, w.rules), h('pre', {}, JSON.stringify(detail.rules, null, 2))) : null,
      h('section', {}, h('h2', {}, w.operators), h('ul', { 'data-testid': 'operators' }, ...operators.map((o) => h('li', {}, `${o.name} (${o.login}): `, h('span', { class: `badge ${o.presence}` }, w[o.presence as 'available'] ?? o.presence))))),
      h('section', {}, h('h2', {}, w.queue), queue.length === 0 ? h('p', { class: 'muted' }, w.emptyQueue)
        : h('ul', {}, ...queue.map((q) => h('li', {}, `${q.queue} · ${q.context.campaign.name} · ${q.context.patient.phone} · ${w.state[q.state as 'waiting'] ?? q.state} · ${Math.round((Date.now() - q.queuedAt) / 1000)} s`))))));
}

function uploadForm(id: string): HTMLElement {
  const file = h('input', { type: 'file', accept: '.csv,text/csv', 'data-testid': 'contacts-file' }) as HTMLInputElement;
  return h('form', {
    onsubmit: async (e: Event) => {
      e.preventDefault();
      const f = file.files?.[0];
      if (!f) return;
      try {
        const res = await fetch(`/api/campaigns/${encodeURIComponent(id)}/contacts?name=${encodeURIComponent(f.name)}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: f });
        const body = await res.json();
        if (!res.ok) throw new Error(body.error?.message ?? res.statusText);
        upload = body;
        notice = null;
      } catch (err) {
        notice = err instanceof Error ? err.message : String(err);
      }
      await refresh();
    },
  }, file, h('button', { type: 'submit', 'data-testid': 'upload' }, t().upload));
}

setInterval(() => void refresh(), 15_000);
void start();
