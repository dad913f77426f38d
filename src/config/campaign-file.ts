import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DISPOSITION_CLASS, DISPOSITIONS, YamlFile } from '../core/index.js';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 08:00');
/** a local date; checked to be a day of the calendar (no 2026-02-30) */
const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-05-01').refine((d) => {
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().startsWith(d);
}, 'is not a day of the calendar');

/** Outcomes a campaign may retry: the retryable ones, and the robot's own "we will call you back". */
export const RETRIED_OUTCOMES = DISPOSITIONS.filter((d) => DISPOSITION_CLASS[d] === 'retryable' || d === 'CALLBACK_REQUESTED');

/**
 * Retry rules per outcome (SIP codes reach them through the outcome table: 486 BUSY, 480
 * UNREACHABLE, 408/487 NO_ANSWER...): the delays in minutes after the 1st, 2nd... attempt that
 * ended so (the last repeats) and at most how many retries of that outcome. Every outcome shares
 * the contact's one budget (maxAttempts); technical faults (503 with its Retry-After, a dead
 * engine) are retried on their own back-off and never counted; final outcomes are never retried.
 */
const Retry = z.record(z.string(), z.strictObject({
  after: z.array(z.number().int().min(1).max(30 * 1440)).min(1).max(10),
  max: z.number().int().min(0).max(20).optional(),
})).superRefine((r, ctx) => {
  for (const key of Object.keys(r)) {
    if ((RETRIED_OUTCOMES as readonly string[]).includes(key)) continue;
    const known = (DISPOSITIONS as readonly string[]).includes(key);
    ctx.addIssue({
      code: 'custom', path: [key],
      message: known
        ? `${key} is ${DISPOSITION_CLASS[key as keyof typeof DISPOSITION_CLASS]}: ${DISPOSITION_CLASS[key as keyof typeof DISPOSITION_CLASS] === 'technical' ? 'technical faults are retried on their own back-off, never counted' : 'final outcomes are never retried'}`
        : `"${key.slice(0, 40)}" is not an outcome; retried ones: ${RETRIED_OUTCOMES.join(', ')}`,
    });
  }
});

const Window = z
  .tuple([HHMM, z.union([HHMM, z.literal('24:00')])])
  .refine(([from, to]) => from < to, 'the window must end after it starts')
  .nullable();

/** A campaign as a supervisor describes it in a file: what to say, to whom, and what slots exist. */
export const CampaignFile = z.strictObject({
  id: z.string().max(64).regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.string().min(1).max(200),
  kind: z.enum(['cold', 'warm']),
  /** the dialog script, relative to this file's folder or to the working directory */
  dialog: z.string().min(1).max(4_096),
  /** the contact list (CSV), likewise */
  contacts: z.string().min(1).max(4_096),
  rules: z
    .strictObject({
      /** in the callee's time zone; default by kind from DOMAIN.md (cold: Mon-Fri 09-20, Sat 10-17) */
      callingHours: z.strictObject({ weekdays: Window, saturday: Window, sunday: Window }).optional(),
      /**
       * the production calendar holidays and moved working days come from: `ru` (default: the
       * Russian federal one, src/core/calendar-ru.ts) or `none`; a holiday has Sunday's hours
       */
      calendar: z.enum(['ru', 'none']).default('ru'),
      /** the campaign's last day (the clinic's local date): from the next midnight nobody is called and its open contacts become EXPIRED */
      ends: LocalDate.optional(),
      /** more holidays (regional ones, the clinic's own), local dates */
      holidays: z.array(LocalDate).max(400).default([]),
      /** more working days moved onto weekends, local dates: they have the weekdays' hours */
      workdays: z.array(LocalDate).max(400).default([]),
      /**
       * the reminder campaign (warm) a booking of this one enrols its patient in, due
       * `beforeMinutes` before the visit (default the day before), none when the visit is closer
       * than `minLeadMinutes` (default 3 h, DOMAIN.md)
       */
      reminders: z
        .strictObject({
          campaignId: z.string().max(64).regex(/^[a-z0-9][a-z0-9-]*$/),
          beforeMinutes: z.number().int().min(60).max(14 * 1440).default(1440),
          minLeadMinutes: z.number().int().min(0).max(14 * 1440).default(180),
        })
        .optional(),
      /** the contact's one retry budget: attempts counted over every outcome */
      maxAttempts: z.number().int().min(1).max(20).optional(),
      retry: Retry.optional(),
      holdSlots: z.boolean().optional(),
      holdMs: z.number().int().min(10_000).optional(),
      technicalRetryMs: z.number().int().min(10_000).optional(),
      specialty: z.string().min(1).max(100).optional(),
    })
    .default({ calendar: 'ru', holidays: [], workdays: [] }),
  /**
   * Each answered call kept as one WAV (8 kHz, 16-bit, stereo: left the callee, right the robot),
   * named by its call id, for people to listen to what the robot said and heard. Recordings are
   * medical data: off by default, and deleted after retentionDays.
   */
  recording: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** relative to the working directory when the campaign is loaded */
      dir: z.string().min(1, 'must name a folder').max(4_096).default('./data/recordings'),
      retentionDays: z.number().int().min(1).max(3_650).default(30),
    })
    .optional(),
  /**
   * A pronunciation dictionary (YAML: language, words) for this campaign's prompts: surnames,
   * streets and abbreviations the voices say wrongly. Checked and kept with the campaign when it
   * is loaded; applied before any engine (RHVoice takes its '+' stress marks).
   */
  pronunciation: z.string().min(1).max(4_096).optional(),
  /** schedule to create for a demo or a test bench: a real clinic's slots come from its MIS */
  slots: z
    .strictObject({
      specialty: z.string().min(1).max(100),
      resources: z.array(z.string().min(1).max(100)).min(1).max(100),
      /** working days from the day after the campaign starts */
      days: z.number().int().min(1).max(30),
      from: HHMM,
      to: HHMM,
      minutes: z.number().int().min(5).max(120),
    })
    .optional(),
});
export type CampaignFile = z.infer<typeof CampaignFile>;

/** Reads a campaign file; paths inside it are resolved against the working directory first, then the file's folder. */
export function loadCampaignFile(file: string, exists: (p: string) => boolean): CampaignFile & { dialogPath: string; contactsPath: string; pronunciationPath?: string } {
  const c = new YamlFile(file, undefined, { maxAliases: 20 }).parse(CampaignFile, 'CONFIG_INVALID');
  const near = (p: string) => (exists(p) ? p : resolve(dirname(file), p));
  return { ...c, dialogPath: near(c.dialog), contactsPath: near(c.contacts), ...(c.pronunciation ? { pronunciationPath: near(c.pronunciation) } : {}) };
}
