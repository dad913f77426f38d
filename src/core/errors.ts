/**
 * Every error zvonar raises carries a stable code, where it happened, what to do, a cause, and
 * whether a retry can help. All codes are listed here; tests/unit/errors.test.ts keeps the list
 * in step with docs/errors.md.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 'a configuration file or environment variable does not match the schema',
  CONFIG_NOT_FOUND: 'a configuration, campaign or contact file does not exist',
  SCRIPT_SYNTAX: 'a dialog YAML file is not valid YAML',
  SCRIPT_INVALID: 'a dialog YAML file does not match the dialog schema',
  SCRIPT_UNKNOWN_TARGET: 'a dialog step moves to a step that does not exist',
  SCRIPT_UNREACHABLE_STEP: 'a dialog step can never be reached from the start step',
  SCRIPT_UNHANDLED_OUTCOME: 'a dialog step has an outcome with no transition',
  SCRIPT_TEMPLATE: 'a dialog prompt refers to a value the call does not have, or a voicemail or screening text to the patient',
  SCRIPT_LOOP: 'dialog steps form a loop that never listens to the callee, so a call could spin in it forever',
  SCRIPT_TRANSLATION: 'a dialog script in a second language differs from the one it translates: a step, a prompt or a placeholder missing or extra',
  SCRIPT_SAFETY: 'a dialog script turns off a safe default without a reason, or its first prompt does not name the clinic and say the call is automated',
  LANGUAGE_UNSUPPORTED: 'dates, times and numbers cannot be spoken, or callback times understood, in this language',
  CONTACT_INVALID: 'a contact row cannot be imported (phone, time zone or name is wrong)',
  PHONE_INVALID: 'a phone number cannot be turned into E.164',
  REGISTRY_UNAVAILABLE: 'the registry database cannot be reached',
  REGISTRY_MIGRATION: 'a registry migration failed',
  CAMPAIGN_NOT_FOUND: 'the named campaign does not exist',
  CAMPAIGN_STOPPED: 'the campaign was stopped for good',
  CAMPAIGN_EXISTS: 'a campaign with this id already exists',
  SLOT_TAKEN: 'the chosen slot was booked by someone else',
  BOOKING_EXISTS: 'the patient already has a live booking in this campaign; the registry refused a second',
  CONTACT_ON_CALL: 'the number is on a call of another dialer right now; it is not dialled twice',
  LEASE_LOST: 'a dialer no longer held the lease of a contact when its call was to start; the call was not placed',
  CALL_FAILED: 'the call was not answered; the SIP status says why',
  MEDIA_TIMEOUT: 'no RTP came from the callee for media.timeoutMs though the call was up: a dead line',
  CALL_LOST: 'the signalling under an answered call was lost (drachtio-server went away, keep-alives unanswered)',
  TELEPHONY_UNAVAILABLE: 'drachtio-server cannot be reached, or refused the secret',
  ENGINE_STOPPED: 'the engine stopped mid-call; the next dialer closed the attempt as INTERRUPTED',
  INVALID_STATE: 'an object was asked to move to a state it cannot reach from its current one',
  SDP_INVALID: 'an SDP offer or answer makes no sense for this engine',
  MEDIA_UNAVAILABLE: 'no RTP port could be bound',
  SPEECH_UNAVAILABLE: 'no speech engine can recognise or speak for this call now: down, too slow, full, or its circuit is open',
  SPEECH_PROTOCOL: 'a speech server sent or received a message that breaks the contract',
  SSML_INVALID: 'a synthesis request\'s SSML is malformed or uses an element or attribute outside the supported subset',
  PRONUNCIATION_INVALID: 'a pronunciation dictionary file is not valid YAML or does not match its schema',
  HTTP_UNAVAILABLE: 'the HTTP port (/metrics, /healthz, the console and the API) cannot be bound',
  AUTH_REQUIRED: 'the console, the API or the ws hub was asked without a valid sign-in or token',
  FORBIDDEN: 'the signed-in person\'s role does not allow this',
  REQUEST_INVALID: 'an API request is malformed (not JSON, a field missing or of the wrong kind), names nothing that exists, or asks what cannot be done now',
  HANDOFF_GONE: 'the handed-off call was taken by another operator, or its callee hung up, before this operator\'s action',
  ACCOUNT_INVALID: 'an operator or supervisor account cannot be created: a login taken or malformed, a password too short',
  USAGE: 'the command line names an unknown command or option, or lacks an argument',
  INTERNAL: 'an unexpected error inside the engine',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where the problem is: a file position, a call, a contact row, a network address. */
export interface ErrorWhere {
  file?: string;
  line?: number;
  col?: number;
  path?: string;
  callId?: string;
  row?: number;
  address?: string;
  [key: string]: string | number | undefined;
}

export interface ErrorOptions {
  /** true when retrying the same operation cannot help. */
  permanent?: boolean;
  /** What the reader should do about it. */
  hint?: string;
  cause?: unknown;
  /** Every problem found in one pass over a file, this error's own first. */
  problems?: readonly Problem[];
}

/** One problem at a position in a file; a file checked in one pass may have several. */
export interface Problem {
  code: ErrorCode;
  message: string;
  line: number;
  col: number;
  hint?: string;
}

export class ZvonarError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorWhere;
  readonly permanent: boolean;
  readonly hint: string | undefined;
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, where: ErrorWhere = {}, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.where = where;
    this.permanent = opts.permanent ?? true;
    this.hint = opts.hint;
    this.problems = opts.problems ?? [];
  }

  /**
   * "dialogs/x.yaml:14:9: message [CODE]" — the form editors and terminals link to. An error
   * carrying problems prints one such line for each, the hint on the same line.
   */
  describe(): string {
    const { file, line, col } = this.where;
    if (this.problems.length) {
      return this.problems.map((p) => `${file ?? '(input)'}:${p.line}:${p.col}: ${p.message}${p.hint ? `; ${p.hint}` : ''} [${p.code}]`).join('\n');
    }
    const at = file ? `${file}${line ? `:${line}${col ? `:${col}` : ''}` : ''}: ` : '';
    return `${at}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''} [${this.code}]`;
  }
}

export class ConfigError extends ZvonarError {}
export class ScriptError extends ZvonarError {}
export class ContactError extends ZvonarError {}
export class RegistryError extends ZvonarError {}
export class InvalidStateError extends ZvonarError {
  constructor(message: string, where: ErrorWhere = {}) {
    super('INVALID_STATE', message, where);
  }
}
export class MediaError extends ZvonarError {}
export class SpeechError extends ZvonarError {}
/** The SIP side (drachtio-server) cannot be reached. */
export class TelephonyError extends ZvonarError {}

/** The callee's side ended the INVITE transaction without answering. */
export class CallFailedError extends ZvonarError {
  readonly sipStatus: number;
  /** Q.850 cause from the response's `Reason` header (RFC 3326), when the network gave one */
  readonly q850: number | null;
  /** the response's `Retry-After`, in ms (503: the trunk asks us to wait) */
  readonly retryAfterMs: number | null;
  constructor(sipStatus: number, reason: string, where: ErrorWhere = {}, opts: ErrorOptions & { q850?: number | null; retryAfterMs?: number | null } = {}) {
    super('CALL_FAILED', `call failed: ${sipStatus} ${reason}`, where, { permanent: false, ...opts });
    this.sipStatus = sipStatus;
    this.q850 = opts.q850 ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

export class SlotTakenError extends ZvonarError {
  constructor(slotId: string, where: ErrorWhere = {}) {
    super('SLOT_TAKEN', `slot ${slotId} was booked by someone else`, where, {
      permanent: true,
      hint: 'offer the patient another slot',
    });
  }
}

/** Dates, times and numbers have no words here for this language (src/core/spoken.ts). */
export class UnsupportedLanguageError extends ZvonarError {
  readonly language: string;
  constructor(language: string, supported: readonly string[], where: ErrorWhere = {}) {
    super('LANGUAGE_UNSUPPORTED', `language "${language.slice(0, 20)}" has no words for dates, times and numbers`, where, {
      permanent: true,
      hint: `use one of ${supported.join(', ')} (a region such as ru-RU or en-GB is fine)`,
    });
    this.language = language;
  }
}
