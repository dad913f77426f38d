import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallSession, type CallEvents } from '../../src/call/index.js';
import { ANY_HOUR, nextStep } from '../../src/dialer/index.js';
import { addDoNotCall, leaseDueContacts, registerDialer, type Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';
import { MACHINE, SCRIPT, seedCampaign, testEngine } from '../support/engine.js';
import type { PersonaName } from '../../src/sim/index.js';

/**
 * One call session on its own, through real RTP, gRPC speech and the registry: the states it
 * passes and the event stream it publishes (what the metrics, the transcript and the operator
 * console subscribe to).
 */
for (const target of databases) {
  describe(`call session on ${target.name}`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await target.open();
    });
    afterEach(async () => db?.close());

    async function callOne(persona: PersonaName, p: { slots?: number; dnc?: boolean } = {}) {
      const now = new Date();
      const s = await seedCampaign(db, { personas: [persona], slots: p.slots ?? 2, now });
      if (p.dnc) await addDoNotCall(db, { phone: s.phones[0]!, reason: 'test', source: 'import' });
      const engine = await testEngine(db, s.personaOf);
      const dialerId = `session-${Math.random().toString(36).slice(2)}`;
      await registerDialer(db, { id: dialerId, host: 'h', pid: 1, now });
      const [contact] = await leaseDueContacts(db, { campaignId: s.campaign.id, now, limit: 1, leaseMs: 60_000, owner: dialerId, hours: ANY_HOUR });
      const session = new CallSession(engine.deps, {
        campaign: s.campaign, script: SCRIPT, machine: MACHINE, contact: contact!, from: '+78632000000', ringTimeoutMs: 23_000, maxCallMs: 60_000,
        clinic: { name: 'поликлиника', timeZone: 'Europe/Moscow' }, dialerId, registryRetryMs: 2_000, fence: new AbortController().signal,
        nextStep: (x) => nextStep(x, s.campaign.rules),
      });
      const events: { [K in keyof CallEvents]?: CallEvents[K][0][] } = {};
      const record = <K extends keyof CallEvents>(name: K) =>
        session.on(name as never, ((e: CallEvents[K][0]) => void ((events[name] ??= []) as CallEvents[K][0][]).push(e)) as never);
      for (const name of ['state', 'said', 'heard', 'first-audio', 'booked', 'hangup', 'ended'] as const) record(name);
      try {
        const summary = await session.run();
        return { summary, events, session };
      } finally {
        await engine.close();
      }
    }
    const path = (e: { state?: { from: string; to: string }[] }) => e.state!.map((x) => `${x.from}->${x.to}`);

    it('an answered call that books passes originating, ringing, answered, dialog, hanging-up, finished, and tells what was said and heard', async () => {
      const { summary, events, session } = await callOne('agree');
      expect(path(events)).toEqual(['created->originating', 'originating->ringing', 'ringing->answered', 'answered->dialog', 'dialog->hanging-up', 'hanging-up->finished']);
      expect(session.state).toBe('finished');
      expect(events.said![0]!.text).toMatch(/^Здравствуйте, Анна Петровна!/);
      expect(events.heard!.map((h) => [h.intent, h.confidence])).toEqual([['yes', 1], ['first', 1]]);
      expect(events['first-audio']).toHaveLength(1);
      expect(events.booked!.map((b) => b.slot.id)).toEqual([summary.booked!.id]);
      expect(events.hangup).toEqual([expect.objectContaining({ by: 'robot' })]);
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'BOOKED', because: 'a slot was booked', sipStatus: 200, q850: null })]);
      // events come in the order of the call: every said/heard before the end
      expect(Math.max(...events.heard!.map((h) => h.atMs))).toBeLessThanOrEqual(events.hangup![0]!.atMs);
    });

    it('a busy callee: originating straight to hanging-up, ended BUSY by the SIP status row, nothing said', async () => {
      const { events } = await callOne('busy', { slots: 0 });
      expect(path(events)).toEqual(['created->originating', 'originating->hanging-up', 'hanging-up->finished']);
      expect(events.said).toBeUndefined();
      expect(events.ended).toEqual([expect.objectContaining({ disposition: 'BUSY', because: 'not answered, with a SIP final status', sipStatus: 486, durationMs: 0 })]);
    });

    it('a number on the do-not-call list: created to finished, no call placed', async () => {
      const { summary, events } = await callOne('agree', { dnc: true });
      expect(path(events)).toEqual(['created->finished']);
      expect(summary.disposition).toBe('DNC');
      expect(events.hangup).toBeUndefined();
    });
  });
}
