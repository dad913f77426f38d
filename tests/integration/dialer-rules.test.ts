import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RU_CALENDAR, type CallingHours } from '../../src/core/index.js';
import { campaignRules, leaseRules, verdict, type ContactFacts } from '../../src/dialer/index.js';
import { addDoNotCall, createCampaign, enrolPatients, leaseDueContacts, upsertPatients, type Db } from '../../src/registry/index.js';
import { databases } from '../support/databases.js';
import { seededRandom } from '../support/random.js';

/**
 * The dialer's rules exist twice, as TypeScript (verdict(): the forecast, campaign status) and as
 * SQL (the lease): on a generated population of callees across Russia's zones (UTC+2 to UTC+12)
 * and zones with DST, at instants around the 2026 DST changes, both say who may be called now,
 * and a contact the TypeScript says may not be called before T is leased at T and not a minute before.
 * PostgreSQL, PGlite and Node read the zone rules each from their own tzdata: the zones here have
 * not changed their rules for years.
 */

const ZONES = [
  'Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Omsk', 'Asia/Krasnoyarsk',
  'Asia/Irkutsk', 'Asia/Yakutsk', 'Asia/Vladivostok', 'Asia/Magadan', 'Asia/Kamchatka',
  // a patient abroad: DST moves the calling hours against UTC
  'Europe/Berlin', 'America/New_York', 'Australia/Sydney',
];
const CONTACTS = 240;

/**
 * the 2026 changes: US 8 Mar, EU 29 Mar, Sydney 5 Apr, EU 25 Oct, US 1 Nov; an ordinary fortnight;
 * Russian holidays (9 Jan, 9 Mar, 11 May, 31 Dec and the new year's to 8 Jan 2027), a regional
 * holiday and a working Saturday of "cold"'s calendar
 */
const AROUND = [
  '2026-03-08T07:00:00Z', '2026-03-29T01:00:00Z', '2026-04-04T16:00:00Z', '2026-10-25T01:00:00Z', '2026-11-01T06:00:00Z', '2026-12-07T00:00:00Z',
  '2026-01-09T06:00:00Z', '2026-05-11T06:00:00Z', '2026-12-31T06:00:00Z', '2027-01-08T06:00:00Z', '2026-09-14T06:00:00Z', '2026-11-28T06:00:00Z',
];
const NOWS = AROUND.flatMap((t) => [-26, -13, -7, -3, -1, 0, 1, 2, 5, 9, 14, 23].map((h) => new Date(Date.parse(t) + h * 3_600_000 + 30 * 60_000)));

const HOURS: Record<string, CallingHours> = {
  cold: {
    weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null,
    calendar: { holidays: [...RU_CALENDAR.holidays, '2026-09-14'], workdays: ['2026-11-28'] },
  },
  // a window over the hour a spring-forward skips and the hour an autumn change repeats
  night: { weekdays: ['01:30', '03:30'], saturday: null, sunday: ['01:30', '03:30'] },
};

/** the rules beside the hours: "night" ends on 1 December 2026 (nobody is called after, ever) */
const RULES: Record<string, { callingHours: CallingHours; endsAt?: string }> = {
  cold: { callingHours: HOURS.cold! },
  night: { callingHours: HOURS.night!, endsAt: '2026-12-01T00:00:00Z' },
};

for (const target of databases) {
  describe(`the dialer's rules in TypeScript and in the lease's SQL agree, on ${target.name}`, () => {
    let db: Db;
    const facts = new Map<string, ContactFacts>();
    const campaigns: Record<string, string> = {};

    beforeAll(async () => {
      db = await target.open();
      const random = seededRandom(20261202);
      for (const [name, hours] of Object.entries(HOURS)) {
        const c = await createCampaign(db, {
          id: `rules-${name}`, name, kind: 'cold', dialogId: 'd', dialogVersion: '1',
          rules: { callingHours: hours, maxAttempts: 4, holdSlots: false, holdMs: 0, retryDelaysMs: {}, technicalRetryMs: 60_000, specialty: 'therapist' },
        });
        campaigns[name] = c.id;
      }
      const people = Array.from({ length: CONTACTS }, (_, i) => ({
        lastName: 'Иванова', firstName: 'Анна', middleName: null, birthYear: 1960,
        phone: `+7918${String(1_000_000 + i).padStart(7, '0')}`, timeZone: ZONES[i % ZONES.length]!, tags: [],
      }));
      const ids = await upsertPatients(db, people);
      for (const [name, campaignId] of Object.entries(campaigns)) {
        await enrolPatients(db, { campaignId, patientIds: ids, at: new Date(AROUND[0]!) });
        const { rows } = await db.query<{ id: string; patient_id: string }>(`select id, patient_id from campaign_contact where campaign_id = $1`, [campaignId]);
        for (const r of rows) {
          const i = ids.indexOf(r.patient_id);
          // most are due at some point of the run; some closed; some due only after it
          const state = random() < 0.1 ? 'done' : 'pending';
          const base = Date.parse(AROUND[Math.floor(random() * AROUND.length)]!);
          const next = state === 'done' ? null : new Date(base + (random() * 60 - 30) * 3_600_000);
          await db.query(`update campaign_contact set state = $2, next_attempt_at = $3 where id = $1`, [r.id, state, next ?? new Date(base)]);
          facts.set(`${name}:${r.id}`, { state, nextAttemptAt: next, timeZone: people[i]!.timeZone, doNotCall: i % 17 === 5 });
        }
      }
      for (let i = 5; i < CONTACTS; i += 17) await addDoNotCall(db, { phone: people[i]!.phone, reason: 'test', source: 'test' });
    }, 120_000);
    afterAll(async () => db?.close());

    /** What the lease would take at `now`: every contact it leases, and which of them are flagged do-not-call; rolled back. */
    async function lease(name: string, now: Date): Promise<{ ids: Set<string>; dnc: Set<string> }> {
      const rollback = new Error('rollback');
      let out: { ids: Set<string>; dnc: Set<string> } | undefined;
      await db.tx(async (t) => {
        const leased = await leaseDueContacts(t, { campaignId: campaigns[name]!, now, limit: 10_000, leaseMs: 60_000, owner: 'rules-test', rules: leaseRules(RULES[name]!) });
        out = { ids: new Set(leased.map((l) => l.id)), dnc: new Set(leased.filter((l) => l.doNotCall).map((l) => l.id)) };
        throw rollback;
      }).catch((err: unknown) => {
        if (err !== rollback) throw err;
      });
      return out!;
    }

    const mine = (name: string) => [...facts].filter(([k]) => k.startsWith(`${name}:`)).map(([k, f]) => [k.slice(name.length + 1), f] as const);

    for (const name of Object.keys(HOURS)) {
      it(`"${name}" hours: the same contacts may be called at ${NOWS.length} instants around DST changes and holidays; do-not-call is flagged, not dialled`, async () => {
        const rules = campaignRules(RULES[name]!);
        let callable = 0;
        for (const now of NOWS) {
          const { ids, dnc } = await lease(name, now);
          const ts = new Set(mine(name).filter(([, f]) => verdict({ ...f, doNotCall: false }, rules, now).call).map(([id]) => id));
          expect({ now: now.toISOString(), sql: [...ids].sort() }).toEqual({ now: now.toISOString(), sql: [...ts].sort() });
          expect([...dnc].sort()).toEqual(mine(name).filter(([id, f]) => f.doNotCall && ts.has(id)).map(([id]) => id).sort());
          for (const id of dnc) expect(verdict(facts.get(`${name}:${id}`)!, rules, now)).toMatchObject({ call: false, because: 'do-not-call', notBefore: null });
          callable += ts.size;
        }
        // the population is not trivially empty or full
        expect(callable).toBeGreaterThan(NOWS.length * 3);
        expect(callable).toBeLessThan(NOWS.length * CONTACTS * 0.8);
      });

      it(`"${name}" hours: a contact not callable now is leased at the time verdict() gives, and not a minute before`, async () => {
        const rules = campaignRules(RULES[name]!);
        const random = seededRandom(7);
        let checked = 0;
        for (const now of NOWS.filter(() => random() < 0.25)) {
          const waiting = mine(name).map(([id, f]) => [id, verdict({ ...f, doNotCall: false }, rules, now)] as const)
            .filter(([, v]) => !v.call && v.notBefore !== null).slice(0, 4);
          for (const [id, v] of waiting) {
            if (v.call || !v.notBefore) continue;
            expect((await lease(name, v.notBefore)).ids.has(id), `${id} at ${v.notBefore.toISOString()} (${v.because})`).toBe(true);
            expect((await lease(name, new Date(v.notBefore.getTime() - 60_000))).ids.has(id), `${id} a minute before ${v.notBefore.toISOString()}`).toBe(false);
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(10);
      });
    }
  });
}
