import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { DISPOSITION_CLASS, maskPhone, SlotTakenError, ZvonarError, type Campaign, type Clock, type ContactStep, type Disposition, type Logger, type Slot } from '../core/index.js';
import type { OperatorHub } from '../operator/index.js';
import {
  audit, bookForHandoff, CALL_STILL_ON, changeVisitForHandoff, visitsForHandoff, getCampaign, listCampaigns, liveCalls, offerSlots, readHandoff, setCampaignStatus, WRAP_UP_DISPOSITIONS, wrapUpHandoff, type Db, type Role,
} from '../registry/index.js';
import { COOKIE, visibleTo, type Auth, type Principal } from './auth.js';
import { OPENAPI } from './openapi.js';

/** What the pages ask of the engine beyond the registry, given by src/app (web does not pick adapters). */
export interface WebApp {
  db: Db;
  hub: OperatorHub;
  auth: Auth;
  clock: Clock;
  log: Logger;
  /** what happens to a contact after an operator's code (the campaign's retry rules: src/dialer) */
  nextStep(p: { disposition: Disposition; campaign: Campaign; contactId: string; now: Date; callbackAt: Date | null }): Promise<ContactStep>;
  /** a campaign's progress, as `zvonar campaign status` prints it */
  campaignStatus(campaignId: string): Promise<string[]>;
  /** a campaign's attempts as CSV */
  attemptsCsv(campaignId: string): Promise<string>;
  /** a contact list (CSV bytes) added to a campaign: what was imported and each rejected row with its line and reason */
  importContacts(campaignId: string, bytes: Uint8Array, name: string): Promise<{ imported: number; rejected: number; already: number; lines: string[] }>;
  /** the campaign's script drawn as SVG; null when its file is not here */
  graph(campaignId: string): Promise<string | null>;
}

/** What each role may do (README, "Operators and supervisors"). */
const MAY = {
  /** see a handed-off call's patient and transcript, take it, book, wrap up */
  takeCalls: ['operator'],
  /** see and steer campaigns, the queue (patients masked) and the operators; download attempts */
  steer: ['supervisor'],
} as const satisfies Record<string, readonly Role[]>;

type Route = { method: string; path: RegExp; run: (c: Ctx) => Promise<unknown> };
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  who: Principal;
  body: () => Promise<unknown>;
}

const LoginBody = z.strictObject({ login: z.string().min(1).max(40), password: z.string().min(1).max(200) });
const PresenceBody = z.strictObject({ presence: z.enum(['available', 'away']) });
const BookBody = z.strictObject({ slotId: z.string().regex(/^\d{1,18}$/, 'a slot id') });
const WrapUpBody = z.strictObject({
  disposition: z.enum(WRAP_UP_DISPOSITIONS),
  note: z.string().max(2000).nullable().default(null),
  /** for CALLBACK_REQUESTED: when to call back (ISO 8601) */
  callbackAt: z.iso.datetime({ offset: true }).nullable().default(null),
});

/**
 * The REST API (described at /api/openapi.json). Every route but sign-in and the description
 * refuses anonymous clients (AUTH_REQUIRED, 401); a role that may not is told FORBIDDEN (403);
 * bad input is REQUEST_INVALID (400) naming the field; every change a person makes is audited.
 */
export function apiRoutes(app: WebApp): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { db, hub, clock } = app;
  const now = () => new Date(clock.now());
  const note = (who: Principal, action: string, subject: string | null, detail: Record<string, unknown> = {}) =>
    audit(db, { actor: who.actor, action, subject, detail, at: now() });
  const need = (who: Principal, what: keyof typeof MAY) => {
    if (!(MAY[what] as readonly Role[]).includes(who.role)) throw new ZvonarError('FORBIDDEN', `a ${who.role} may not ${what === 'steer' ? 'steer campaigns' : 'take calls'}`, {});
  };

  const routes: Route[] = [
    { method: 'GET', path: /^\/api\/me$/, run: async ({ who }) => ({ login: who.account?.login ?? who.actor, name: who.account?.name ?? who.actor, role: who.role, presence: who.account ? hub.operator(who.account.id)?.presence ?? null : null }) },
    {
      method: 'POST', path: /^\/api\/presence$/, run: async ({ who, body }) => {
        need(who, 'takeCalls');
        const { presence } = parse(PresenceBody, await body());
        hub.setPresence(who.account!.id, presence);
        await note(who, 'presence', `operator:${who.actor}`, { presence });
        return hub.operator(who.account!.id);
      },
    },
    {
      method: 'GET', path: /^\/api\/handoffs$/, run: async ({ who }) => {
        // an operator sees the patient of calls offered to them; the queue's others, and supervisors, see no patient
        return hub.queue().map((h) => visibleTo(who, h));
      },
    },
    {
      method: 'POST', path: /^\/api\/handoffs\/([\w-]+)\/accept$/, run: async ({ who, params: [id] }) => {
        need(who, 'takeCalls');
        await hub.accept(who.account!.id, id!);
        await note(who, 'accept', `handoff:${id}`);
        return hub.find(id!) ?? { id };
      },
    },
    {
      method: 'POST', path: /^\/api\/handoffs\/([\w-]+)\/decline$/, run: async ({ who, params: [id] }) => {
        need(who, 'takeCalls');
        hub.decline(who.account!.id, id!);
        await note(who, 'decline', `handoff:${id}`);
        return { ok: true };
      },
    },
    {
      method: 'POST', path: /^\/api\/handoffs\/([\w-]+)\/hangup$/, run: async ({ who, params: [id] }) => {
        need(who, 'takeCalls');
        hub.hangup(who.account!.id, id!);
        await note(who, 'hangup', `handoff:${id}`);
        return { ok: true };
      },
    },
    {
      method: 'GET', path: /^\/api\/handoffs\/([\w-]+)\/slots$/, run: async ({ who, params: [id] }) => {
        need(who, 'takeCalls');
        const h = await ownHandoff(who, id!);
        const campaign = await getCampaign(db, h.campaign_id);
        const slots = await offerSlots(db, { callId: h.call_id, specialty: campaign.rules.specialty ?? 'therapist', after: now(), now: now(), count: 12, holdMs: null });
        return slots.map(slotJson);
      },
    },
    {
      method: 'POST', path: /^\/api\/handoffs\/([\w-]+)\/book$/, run: async ({ who, params: [id], body }) => {
        need(who, 'takeCalls');
        const { slotId } = parse(BookBody, await body());
        await ownHandoff(who, id!);
        try {
          const r = await bookForHandoff(db, { handoffId: id!, accountId: who.account!.id, slotId, now: now() });
          if ('error' in r) throw new ZvonarError('HANDOFF_GONE', r.error, { handoffId: id! });
          await note(who, 'book', `handoff:${id}`, { slotId, bookingId: r.bookingId });
          return { bookingId: r.bookingId, slot: slotJson(r.slot) };
        } catch (err) {
          if (err instanceof SlotTakenError) throw new ZvonarError('SLOT_TAKEN', `slot ${slotId} was booked by someone else: choose another`, { path: 'slotId' });
          throw err;
        }
      },
    },
    {
      method: 'POST', path: /^\/api\/handoffs\/([\w-]+)\/wrap-up$/, run: async ({ who, params: [id], body }) => {
        need(who, 'takeCalls');
        const w = parse(WrapUpBody, await body());
        if (w.disposition === 'CALLBACK_REQUESTED' && !w.callbackAt) throw invalid('callbackAt', 'a call-back needs its time');
        const h = await ownHandoff(who, id!);
        const campaign = await getCampaign(db, h.campaign_id);
        const callbackAt = w.callbackAt ? new Date(w.callbackAt) : null;
        const step = await app.nextStep({ disposition: w.disposition, campaign, contactId: h.contact_id, now: now(), callbackAt });
        // the call's attempt is closed by its session a moment after the line drops: wait for it
        let r = await wrapUpHandoff(db, { handoffId: id!, accountId: who.account!.id, disposition: w.disposition, note: w.note, now: now(), step });
        for (let i = 0; !r.ok && r.why === CALL_STILL_ON && i < 50; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          r = await wrapUpHandoff(db, { handoffId: id!, accountId: who.account!.id, disposition: w.disposition, note: w.note, now: now(), step });
        }
        if (!r.ok) throw new ZvonarError('REQUEST_INVALID', r.why, { handoffId: id! });
        await note(who, 'wrap-up', `handoff:${id}`, { disposition: w.disposition, final: DISPOSITION_CLASS[w.disposition] === 'final' });
        hub.wrapUpDone(who.account!.id);
        return { ok: true, contact: step };
      },
    },
    {
      method: 'GET', path: /^\/api\/handoffs\/([\w-]+)\/visits$/, run: async ({ who, params: [id] }) => {
        need(who, 'takeCalls');
        const r = await visitsForHandoff(db, { handoffId: id!, accountId: who.account!.id, now: now() });
        if ('error' in r) throw new ZvonarError('HANDOFF_GONE', r.error, { handoffId: id! });
        return r.map((v) => ({ bookingId: v.bookingId, slot: slotJson(v.slot) }));
      },
    },
    {
      method: 'POST', path: /^\/api\/handoffs\/([\w-]+)\/visits\/(\d{1,18})\/(cancel|move)$/, run: async ({ who, params: [id, bookingId, action], body }) => {
        need(who, 'takeCalls');
        const moveTo = action === 'move' ? parse(BookBody, await body()).slotId : null;
        const r = await changeVisitForHandoff(db, { handoffId: id!, accountId: who.account!.id, bookingId: bookingId!, now: now(), ...(moveTo ? { moveTo } : { cancel: true as const }) });
        if (typeof r === 'object') throw new ZvonarError('HANDOFF_GONE', r.error, { handoffId: id! });
        if (r === 'taken') throw new ZvonarError('SLOT_TAKEN', `slot ${moveTo} was booked by someone else: the visit stays where it was`, { path: 'slotId' });
        if (r === 'gone') throw new ZvonarError('REQUEST_INVALID', `booking ${bookingId} is no longer ahead (cancelled or past)`, { path: 'bookingId' });
        await note(who, action === 'move' ? 'move-visit' : 'cancel-visit', `handoff:${id}`, { bookingId, ...(moveTo ? { slotId: moveTo } : {}) });
        return { result: r };
      },
    },
    {
      method: 'GET', path: /^\/api\/operators$/, run: async ({ who }) => {
        need(who, 'steer');
        return hub.operators();
      },
    },
    {
      method: 'GET', path: /^\/api\/campaigns$/, run: async ({ who }) => {
        need(who, 'steer');
        return (await listCampaigns(db)).map((c) => ({ id: c.id, name: c.name, kind: c.kind, status: c.status, dialog: `${c.dialogId} v${c.dialogVersion}` }));
      },
    },
    {
      method: 'GET', path: /^\/api\/campaigns\/([\w.-]+)$/, run: async ({ who, params: [id] }) => {
        need(who, 'steer');
        const c = await getCampaign(db, id!);
        return { id: c.id, name: c.name, kind: c.kind, status: c.status, dialog: `${c.dialogId} v${c.dialogVersion}`, rules: c.rules, status_lines: await app.campaignStatus(c.id) };
      },
    },
    {
      method: 'GET', path: /^\/api\/campaigns\/([\w.-]+)\/calls$/, run: async ({ who, params: [id] }) => {
        need(who, 'steer');
        await getCampaign(db, id!);
        return (await liveCalls(db, { campaignId: id! })).map((c) => ({ ...c, phone: maskPhone(c.phone) }));
      },
    },
    ...(['pause', 'resume', 'stop'] as const).map((action): Route => ({
      method: 'POST', path: new RegExp(`^/api/campaigns/([\\w.-]+)/${action}$`), run: async ({ who, params: [id] }) => {
        need(who, 'steer');
        const c = await getCampaign(db, id!);
        if (c.status === 'done') throw new ZvonarError('CAMPAIGN_STOPPED', `campaign ${c.id} was stopped for good`, { campaignId: c.id });
        const status = action === 'pause' ? 'paused' : action === 'resume' ? 'active' : 'done';
        await setCampaignStatus(db, { id: c.id, status });
        await note(who, action, `campaign:${c.id}`, { from: c.status, to: status });
        return { id: c.id, status };
      },
    })),
  ];

  async function ownHandoff(who: Principal, id: string) {
    const h = await readHandoff(db, id);
    if (!h) throw invalid('id', `no handoff ${id}`);
    if (h.accepted_by !== who.account?.id) throw new ZvonarError('HANDOFF_GONE', 'this call is not yours', { handoffId: id });
    return h;
  }

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (!path.startsWith('/api/')) return false;
    try {
      if (req.method === 'GET' && path === '/api/openapi.json') return send(res, 200, OPENAPI), true;
      if (req.method === 'POST' && path === '/api/login') {
        const { login, password } = parse(LoginBody, await readJson(req));
        const s = await app.auth.signIn(login, password);
        if (!s) {
          await audit(db, { actor: login.slice(0, 40), action: 'login-refused', subject: null, at: now() });
          throw new ZvonarError('AUTH_REQUIRED', 'wrong login or password', { path: 'login' });
        }
        await audit(db, { actor: s.account.login, action: 'login', subject: null, at: now() });
        res.setHeader('set-cookie', `${COOKIE}=${s.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${s.maxAgeS}`);
        return send(res, 200, { login: s.account.login, name: s.account.name, role: s.account.role }), true;
      }
      const who = await app.auth.who(req);
      if (req.method === 'POST' && path === '/api/logout') {
        await app.auth.signOut(req);
        await note(who, 'logout', null);
        res.setHeader('set-cookie', `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
        return send(res, 200, { ok: true }), true;
      }
      if (req.method === 'GET' && /^\/api\/campaigns\/[\w.-]+\/attempts\.csv$/.test(path)) {
        need(who, 'steer');
        const id = path.split('/')[3]!;
        const csv = await app.attemptsCsv(id);
        await note(who, 'download-attempts', `campaign:${id}`);
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="attempts-${id}.csv"` });
        res.end(csv);
        return true;
      }
      if (req.method === 'GET' && /^\/api\/campaigns\/[\w.-]+\/graph\.svg$/.test(path)) {
        need(who, 'steer');
        const id = path.split('/')[3]!;
        await getCampaign(db, id);
        const svg = await app.graph(id);
        if (svg === null) throw invalid('id', `the script of campaign ${id} is not in this dialer's dialogs folder`);
        res.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
        res.end(svg);
        return true;
      }
      if (req.method === 'POST' && /^\/api\/campaigns\/[\w.-]+\/contacts$/.test(path)) {
        need(who, 'steer');
        const id = path.split('/')[3]!;
        await getCampaign(db, id);
        const name = `upload ${new URL(req.url ?? '/', 'http://x').searchParams.get('name') ?? 'contacts.csv'}`.slice(0, 200);
        const report = await app.importContacts(id, await readBytes(req, MAX_CSV), name);
        await note(who, 'import-contacts', `campaign:${id}`, { imported: report.imported, rejected: report.rejected, already: report.already });
        send(res, 200, report);
        return true;
      }
      for (const r of routes) {
        const m = r.path.exec(path);
        if (!m || r.method !== req.method) continue;
        const out = await r.run({ req, res, who, params: m.slice(1), body: () => readJson(req) });
        send(res, 200, out);
        return true;
      }
      throw new ZvonarError('REQUEST_INVALID', `no ${req.method} ${path} in the API (see /api/openapi.json)`, { path });
    } catch (err) {
      sendError(res, err, app.log);
      return true;
    }
  };
}

const slotJson = (s: Slot) => ({ id: s.id, resource: s.resource, specialty: s.specialty, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString() });

function invalid(field: string, why: string): ZvonarError {
  return new ZvonarError('REQUEST_INVALID', `${field}: ${why}`, { path: field });
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw invalid(i.path.join('.') || '(body)', i.message);
}

const MAX_BODY = 64 * 1024;
/** a contact list uploaded from the page: about 200,000 rows */
const MAX_CSV = 32 * 1024 * 1024;

async function readBytes(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw invalid('(body)', `larger than ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBytes(req, MAX_BODY)).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid('(body)', `not JSON: ${(err as Error).message}`);
  }
}

const STATUS: Partial<Record<string, number>> = {
  AUTH_REQUIRED: 401, FORBIDDEN: 403, REQUEST_INVALID: 400, CONTACT_INVALID: 400, HANDOFF_GONE: 409, SLOT_TAKEN: 409, CAMPAIGN_NOT_FOUND: 404, CAMPAIGN_STOPPED: 409,
  REGISTRY_UNAVAILABLE: 503,
};

export function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  if (err instanceof ZvonarError) {
    const status = STATUS[err.code] ?? 500;
    if (status >= 500) log.error({ code: err.code, message: err.message }, 'API request failed');
    send(res, status, { error: { code: err.code, message: err.message, ...(err.where.path ? { field: err.where.path } : {}) } });
    return;
  }
  log.error({ message: err instanceof Error ? err.message : String(err) }, 'API request failed');
  send(res, 500, { error: { code: 'INTERNAL', message: 'an unexpected error inside the engine' } });
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
