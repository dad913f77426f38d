/**
 * The operator console and the supervisor pages in real Chromium (Debian's, driven by
 * playwright-core), over the real HTTP server, ws hub and REST API, with calls placed by the
 * dialer on the simulated network (callees and the operators' desk phones on real UDP RTP) and
 * the registry on PGlite. Nothing is mocked. Needs `npm run build` (the pages are served from
 * dist/web), which `npm test` runs first.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWeb, type Engine, type HttpServer } from '../../src/app/index.js';
import { readAudit, saveAccount, startSession, type Db } from '../../src/registry/index.js';
import type { PersonaName } from '../../src/sim/index.js';
import { Auth, hashPassword } from '../../src/web/index.js';
import { databases } from '../support/databases.js';
import { runUntilIdle, seedCampaign, testConfig, testEngine } from '../support/engine.js';

const CHROMIUM = '/usr/bin/chromium';
const DESK = { maria: '+79990000001', ivan: '+79990000002' };
const MIS_TOKEN = 'a-long-random-token-the-mis-keeps';

describe.skipIf(!existsSync(CHROMIUM))('operator console and supervisor pages in Chromium', () => {
  let db: Db;
  let engine: Engine;
  let http: HttpServer;
  let browser: Browser;
  const personas = new Map<string, PersonaName>([[DESK.maria, 'operator-phone'], [DESK.ivan, 'operator-phone']]);

  beforeAll(async () => {
    db = await databases[0]!.open();
    for (const [login, name, role, phone] of [['maria', 'Мария Петрова', 'operator', DESK.maria], ['ivan', 'Иван Сидоров', 'operator', DESK.ivan], ['olga', 'Ольга Главная', 'supervisor', null]] as const) {
      await saveAccount(db, { login, name, role, passwordHash: await hashPassword(`${login}-password`), languages: ['ru'], skills: ['dispanserization'], phone });
    }
    const cfg = testConfig({
      metrics: { host: '127.0.0.1', port: 0 },
      // a machine client (the clinic's MIS): only the token's SHA-256 is in the configuration
      operators: { tokens: [{ name: 'mis', role: 'supervisor', sha256: createHash('sha256').update(MIS_TOKEN).digest('hex') }] },
    });
    engine = await testEngine(db, personas, { config: cfg });
    http = await startWeb(engine, cfg);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await engine?.close();
    await db?.close();
  });

  async function signIn(login: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
    page.on('pageerror', (e) => console.log(login, 'pageerror:', e.message));
    await page.goto(`${http.url}/console`);
    await page.getByTestId('login').fill(login);
    await page.getByTestId('password').fill(`${login}-password`);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('sign-out').waitFor();
    return page;
  }

  async function available(page: Page): Promise<void> {
    await page.getByTestId('presence').selectOption('available');
    await expect.poll(() => page.getByTestId('presence-badge').textContent()).toBe('Доступен');
  }

  async function campaignWith(persona: PersonaName) {
    const seeded = await seedCampaign(db, { personas: [persona], slots: 6, now: new Date() });
    for (const [phone, p] of seeded.personaOf) personas.set(phone, p);
    return seeded;
  }

  it('refuses anonymous clients (the API, the ws hub; the page shows the sign-in form), forged and expired sessions; takes a machine client\'s token', async () => {
    const me = await fetch(`${http.url}/api/me`);
    expect(me.status).toBe(401);
    expect(await me.json()).toMatchObject({ error: { code: 'AUTH_REQUIRED' } });
    const forged = await fetch(`${http.url}/api/handoffs`, { headers: { cookie: 'zvonar_session=forged', authorization: 'Bearer nope' } });
    expect(forged.status).toBe(401);
    const ws = await new Promise<string>((resolve) => {
      const sock = new WebSocket(`${http.url.replace('http', 'ws')}/ws`);
      sock.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
      sock.on('open', () => resolve('opened'));
      sock.on('error', () => resolve('error'));
    });
    expect(ws).toBe('refused 401');
    const wrong = await fetch(`${http.url}/api/login`, { method: 'POST', body: JSON.stringify({ login: 'maria', password: 'wrong' }) });
    expect(wrong.status).toBe(401);
    const junk = await fetch(`${http.url}/api/login`, { method: 'POST', body: '{"login": ' });
    expect(junk.status).toBe(400);
    expect(await junk.json()).toMatchObject({ error: { code: 'REQUEST_INVALID', field: '(body)' } });
    // a machine client with its token steers as its role says, and is audited by its name
    const bearer = { authorization: `Bearer ${MIS_TOKEN}` };
    expect((await fetch(`${http.url}/api/campaigns`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${http.url}/api/campaigns`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    const seeded = await campaignWith('decline');
    expect((await fetch(`${http.url}/api/campaigns/${seeded.campaign.id}/pause`, { method: 'POST', headers: bearer })).status).toBe(200);
    expect((await readAudit(db, { limit: 1, subject: `campaign:${seeded.campaign.id}` }))[0]).toMatchObject({ actor: 'token:mis', action: 'pause' });
    // a session past its time is refused
    const auth = new Auth({ db, clock: { now: () => Date.now(), setTimeout, clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) }, sessionHours: 12, tokens: [] });
    const { rows: [olga] } = await db.query<{ id: string }>(`select id from account where login = 'olga'`);
    await startSession(db, { tokenHash: createHash('sha256').update('stale').digest('hex'), accountId: olga!.id, now: new Date(Date.now() - 13 * 3600_000), expiresAt: new Date(Date.now() - 3600_000) });
    await expect(auth.who({ headers: { cookie: 'zvonar_session=stale' } } as IncomingMessage)).rejects.toMatchObject({ code: 'AUTH_REQUIRED', message: 'the session expired or was ended: sign in again' });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${http.url}/console`);
    await page.getByTestId('login').waitFor();
    await page.getByTestId('login').fill('maria');
    await page.getByTestId('password').fill('wrong');
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Неверный логин или пароль');
    await page.context().close();
  });

  it('an operator takes a handed-off call: screen-pop with context and live transcript, books, wraps up; a second operator cannot take it; the registry holds exactly that', async () => {
    const maria = await signIn('maria');
    const ivan = await signIn('ivan');
    await available(maria); // idle longest: she gets the offer
    await available(ivan);
    const seeded = await campaignWith('operator');
    const running = runUntilIdle(engine, seeded.campaign);

    // the screen-pop
    await maria.getByTestId('accept').waitFor({ timeout: 30_000 });
    await expect.poll(() => maria.getByTestId('patient').textContent()).toBe('Иванова Анна Петровна');
    expect(await maria.getByTestId('reason').textContent()).toContain('оператор');
    await expect.poll(() => maria.getByTestId('transcript').textContent()).toContain('Соедините меня с оператором');
    expect(await ivan.getByTestId('accept').count()).toBe(0);
    const handoffId = engine.operators.queue()[0]!.id;
    // Ivan cannot take a call offered to Maria
    const early = await ivan.evaluate(async (id) => (await fetch(`/api/handoffs/${id}/accept`, { method: 'POST' })).status, handoffId);
    expect(early).toBe(409);

    await maria.getByTestId('accept').click();
    await maria.getByTestId('hangup').waitFor();
    expect(await maria.getByTestId('presence-badge').textContent()).toBe('Занят');
    // ... nor once she has it
    const late = await ivan.evaluate(async (id) => {
      const r = await fetch(`/api/handoffs/${id}/accept`, { method: 'POST' });
      return { status: r.status, body: await r.json() };
    }, handoffId);
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'HANDOFF_GONE', message: 'another operator took this call' } } });

    // she books the third free time while they talk, moves it, then ends the call and wraps up
    await maria.getByTestId('book').nth(2).click();
    await maria.getByTestId('booked').waitFor();
    // the patient would rather come later: the visit moves (the old slot freed only as the new one is booked)
    await maria.getByTestId('visit').waitFor();
    await maria.getByTestId('move-to').selectOption(seeded.slotIds[4]!);
    await maria.getByTestId('move').click();
    await expect.poll(async () => (await db.query(`select id, status from slot where id = any($1::bigint[]) order by id`, [[seeded.slotIds[2], seeded.slotIds[4]]])).rows)
      .toEqual([{ id: seeded.slotIds[2], status: 'free' }, { id: seeded.slotIds[4], status: 'busy' }]);
    await maria.getByTestId('hangup').click();
    await maria.getByTestId('wrap-up').waitFor();
    expect(await maria.getByTestId('disposition').inputValue()).toBe('BOOKED');
    await maria.getByTestId('note').fill('Записала к терапевту, напомнила про полис');
    await maria.getByTestId('wrap-up').click();
    await maria.getByTestId('idle').waitFor();
    expect(await maria.getByTestId('presence-badge').textContent()).toBe('Доступен');
    await running;

    const { rows } = await db.query<Record<string, unknown>>(
      `select a.disposition, a.operator_note, acc.login, s.id as slot_id, c.state, c.last_disposition,
         (select count(*)::int from booking b where b.patient_id = a.patient_id and b.status = 'booked') as bookings,
         h.outcome, h.disposition as handoff_disposition
       from attempt a join campaign_contact c on c.id = a.campaign_contact_id join account acc on acc.id = a.operator_id
       join slot s on s.id = a.slot_id join handoff h on h.attempt_id = a.id where a.campaign_id = $1`, [seeded.campaign.id]);
    expect(rows).toEqual([{
      disposition: 'BOOKED', operator_note: 'Записала к терапевту, напомнила про полис', login: 'maria', slot_id: seeded.slotIds[4], state: 'done',
      last_disposition: 'BOOKED', bookings: 1, outcome: 'connected', handoff_disposition: 'BOOKED',
    }]);
    const actions = (await readAudit(db, { limit: 50, subject: `handoff:${handoffId}` })).map((e) => `${e.actor} ${e.action}`);
    expect(actions.reverse()).toEqual(['maria accept', 'maria book', 'maria move-visit', 'maria hangup', 'maria wrap-up']);
    await maria.context().close();
    await ivan.context().close();
  }, 120_000);

  it('a callee who hangs up while waiting removes the offer from the console at once', async () => {
    const maria = await signIn('maria');
    await available(maria);
    const seeded = await campaignWith('operator-impatient');
    const running = runUntilIdle(engine, seeded.campaign);
    await maria.getByTestId('accept').waitFor({ timeout: 30_000 });
    await maria.getByTestId('idle').waitFor({ timeout: 30_000 });
    expect(await maria.getByTestId('notice').textContent()).toContain('the callee hung up');
    await running;
    const { rows } = await db.query(`select disposition from attempt where campaign_id = $1`, [seeded.campaign.id]);
    expect(rows).toEqual([{ disposition: 'TRANSFER_ABANDONED' }]);
    await maria.context().close();
  }, 90_000);

  it('a supervisor sees campaigns and operators, pauses a campaign (audited) and downloads its attempts; an operator may not', async () => {
    const seeded = await campaignWith('decline');
    const olga = await signIn('olga');
    await olga.goto(`${http.url}/campaigns`);
    const row = olga.getByTestId(`campaign-${seeded.campaign.id}`);
    await row.waitFor();
    await row.getByTestId('pause').click();
    await expect.poll(() => row.getByTestId('status').textContent()).toBe('paused');
    expect((await readAudit(db, { limit: 5, subject: `campaign:${seeded.campaign.id}` })).map((e) => `${e.actor} ${e.action}`)).toEqual(['olga pause']);
    await row.getByRole('link', { name: seeded.campaign.id }).click();
    await expect.poll(() => olga.getByTestId('detail').textContent()).toContain(`campaign ${seeded.campaign.id}`);
    // a contact list uploaded from the page: the good row imported, the bad one named by line and reason
    await olga.getByTestId('contacts-file').setInputFiles({
      name: 'more.csv', mimeType: 'text/csv',
      buffer: Buffer.from('last_name,first_name,middle_name,birth_year,phone,time_zone\nПетрова,Нина,Ивановна,1960,+79001112233,Europe/Moscow\nСидоров,Пётр,,1955,12345,Europe/Moscow\n'),
    });
    await olga.getByTestId('upload').click();
    await expect.poll(() => olga.getByTestId('upload-report').textContent()).toMatch(/imported 1, rejected 1[\s\S]*line 3, column phone: is not a valid phone number/);
    const { rows: enrolled } = await db.query(`select count(*)::int as n from campaign_contact where campaign_id = $1`, [seeded.campaign.id]);
    expect(enrolled).toEqual([{ n: 2 }]);
    // the script's graph, and the calls in progress (none: the campaign is paused and its call ended)
    const graph = await olga.evaluate(async (id) => { const r = await fetch(`/api/campaigns/${id}/graph.svg`); return [r.status, /<svg[\s\S]*offer[\s\S]*<\/svg>/.test(await r.text())]; }, seeded.campaign.id);
    expect(graph).toEqual([200, true]);
    expect(await olga.evaluate(async (id) => (await fetch(`/api/campaigns/${id}/calls`)).json(), seeded.campaign.id)).toEqual([]);
    expect((await readAudit(db, { limit: 5, subject: `campaign:${seeded.campaign.id}` })).map((e) => `${e.actor} ${e.action}`)).toContain('olga import-contacts');
    const csv = await olga.evaluate(async (id) => (await fetch(`/api/campaigns/${id}/attempts.csv`)).text(), seeded.campaign.id);
    expect(csv.split('\n')[0]).toContain('call_id');
    const maria = await signIn('maria');
    const forbidden = await maria.evaluate(async () => (await fetch('/api/campaigns')).status);
    expect(forbidden).toBe(403);
    const openapi = await (await fetch(`${http.url}/api/openapi.json`)).json() as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/handoffs/{id}/wrap-up');
    await olga.context().close();
    await maria.context().close();
  }, 60_000);
});

