import type { Disposition } from './disposition.js';

/** A person in the registry. Names and birth year are medical personal data: never logged at info. */
export interface Patient {
  id: string;
  lastName: string;
  firstName: string;
  middleName: string | null;
  birthYear: number | null;
  /** E.164, e.g. +79181234567. */
  phone: string;
  /** IANA zone of the patient's address or attachment, never guessed from the number. */
  timeZone: string;
  tags: string[];
}

export type CampaignKind = 'cold' | 'warm';
export type CampaignStatus = 'active' | 'paused' | 'done';

/** "HH:MM" local times, from inclusive to exclusive ("24:00" for midnight); null: no calls that day. */
export type HoursWindow = readonly [from: string, to: string] | null;

/** When a callee may be called, in the callee's own time zone. */
export interface CallingHours {
  weekdays: HoursWindow;
  saturday: HoursWindow;
  sunday: HoursWindow;
  /**
   * Days that are not what their weekday says, as local dates "YYYY-MM-DD": a holiday has
   * Sunday's hours, a working day moved onto a weekend has the weekdays' (src/core/calendar-ru.ts
   * ships the Russian production calendar). Absent: every day is its weekday.
   */
  calendar?: ProductionCalendar;
}

/** Non-working holidays and working days moved onto weekends, as local dates "YYYY-MM-DD". */
export interface ProductionCalendar {
  holidays: readonly string[];
  workdays: readonly string[];
}

/** Retry delays and limits; defaults in src/dialer/retry.ts follow DOMAIN.md. */
export interface CampaignRules {
  callingHours: CallingHours;
  maxAttempts: number;
  /** Hold offered slots for the call so no one else is offered them. */
  holdSlots: boolean;
  holdMs: number;
  /** Delays (ms) per retryable disposition, by attempt number (the last repeats). */
  retryDelaysMs: Partial<Record<Disposition, number[]>>;
  /** At most this many retries after an outcome (REJECTED: 1 unless set); the budget over all outcomes is maxAttempts. */
  retryMax?: Partial<Record<Disposition, number>>;
  /** Delay before a technical retry (not counted as an attempt). */
  technicalRetryMs: number;
  specialty: string;
  /** Call recording (src/call/recorder.ts); absent: off. Recordings are medical data: off unless asked for. */
  recording?: RecordingPolicy;
  /** The campaign's pronunciation dictionary, checked when the campaign was loaded (src/speech/pronunciation.ts). */
  pronunciation?: { language: string; words: Record<string, string> };
  /**
   * A booking this campaign makes enrols its patient in the reminder campaign `campaignId`, about
   * that visit, due `beforeMinutes` before it; none when the visit is closer than `minLeadMinutes`
   * (src/registry/booking-rule.ts). A moved visit moves its reminder; a cancelled one withdraws it.
   */
  reminders?: { campaignId: string; beforeMinutes: number; minLeadMinutes: number };
  /** When the campaign ends (ISO instant): nobody is called from then on, and its open contacts become EXPIRED. */
  endsAt?: string;
}

/** Where and for how long a campaign keeps its answered calls as WAV files. */
export interface RecordingPolicy {
  enabled: boolean;
  /** the folder, absolute once the campaign is created */
  dir: string;
  /** files older than this are deleted (at the dialer's start and hourly) */
  retentionDays: number;
}

export interface Campaign {
  id: string;
  name: string;
  kind: CampaignKind;
  dialogId: string;
  dialogVersion: string;
  status: CampaignStatus;
  rules: CampaignRules;
}

export type ContactState = 'pending' | 'done';

/** What happens to a contact after an attempt (src/dialer/retry.ts decides, the registry stores it). */
export interface ContactStep {
  state: ContactState;
  nextAttemptAt: Date | null;
  /** a person promised to call: the contact goes on the operators' call-back list */
  callback?: { dueAt: Date };
}

export interface CampaignContact {
  id: string;
  campaignId: string;
  patient: Patient;
  state: ContactState;
  attempts: number;
  nextAttemptAt: Date | null;
  priority: number;
  lastDisposition: Disposition | null;
}

export interface Slot {
  id: string;
  resource: string;
  specialty: string;
  startsAt: Date;
  endsAt: Date;
}

/** One line of what was said on a call. */
export interface TranscriptLine {
  /** ms since the call was answered */
  atMs: number;
  who: 'robot' | 'callee' | 'system';
  text: string;
  /** the step of the dialog script that said or heard it */
  step?: string;
  intent?: string;
}
