/**
 * Simulated callees. Each persona is data: how the network answers the INVITE, and, once
 * answered, what the person says to each question the robot asks (a prompt ending in "?" in the
 * modem voice; with any other voice, an utterance after which the robot falls silent: see
 * SimCallee), in the language the robot speaks (Russian when it hears Cyrillic, English otherwise;
 * the call's configured language when it cannot decode the voice).
 */
export type Replies = { ru: string[]; en: string[] };
/** The languages callees speak. */
export type Language = keyof Replies;

export interface Persona {
  /** final SIP status instead of answering (486 busy, 480 unreachable, ...) */
  rejectWith?: number;
  /** rings until the caller gives up (CANCEL -> 487) */
  neverAnswers?: boolean;
  /** replies, in order, one per question heard; the last one repeats; none: the callee stays silent */
  replies?: Replies;
  /** hangs up after hearing this many robot utterances */
  hangUpAfter?: number;
  /** said as soon as the call is answered, in Russian (a mailbox's greeting, an assistant's question) */
  greeting?: string;
  /** said right after the robot's first utterance (its greeting), over whatever the robot says next */
  interrupts?: Replies;
  /** answers 200 OK with this SDP instead of a real one (a broken PBX or gateway) */
  sdpAnswer?: string;
  /** presses this key once the first thing said to it has been heard (an operator taking a whispered call) */
  presses?: string;
}

export const PERSONAS = {
  /** says yes, takes the first time offered */
  agree: { replies: { ru: ['Да, запишите, пожалуйста', 'Первое'], en: ['Yes, please book me', 'The first one'] } },
  /** says yes, takes the second time offered */
  'agree-second': { replies: { ru: ['Давайте', 'Второе время'], en: ['Sure', 'The second time'] } },
  decline: { replies: { ru: ['Нет, спасибо, не хочу'], en: ['No, thank you'] } },
  /** talks over the robot's question with a yes before it is asked (barge-in), then takes the first time */
  'talks-over': {
    interrupts: { ru: ['Да, да, конечно, запишите меня, пожалуйста, на приём к врачу'], en: ['Yes, yes, of course, please book me an appointment with the doctor'] },
    replies: { ru: ['Первое'], en: ['The first one'] },
  },
  /** says a short "угу" over the robot's question, then answers it as agree does */
  backchannel: {
    interrupts: { ru: ['Угу'], en: ['Mhm'] },
    replies: { ru: ['Да, запишите, пожалуйста', 'Первое'], en: ['Yes, please book me', 'The first one'] },
  },
  /** a mailbox: its greeting plays on answer, long, with nobody there */
  voicemail: { greeting: 'Здравствуйте! Вы позвонили Анне Петровне. Сейчас я не могу ответить, оставьте, пожалуйста, сообщение после сигнала.' },
  /** a voice assistant answering for the subscriber, asking who calls and why, then passing on a yes */
  screening: {
    greeting: 'Здравствуйте, я голосовой помощник. Представьтесь.',
    replies: { ru: ['Да, запишите, пожалуйста', 'Первое'], en: ['Yes, please book me', 'The first one'] },
  },
  /** busy now: asks to be called back, tomorrow after six */
  'call-back': { replies: { ru: ['Ой, я сейчас не могу, перезвоните попозже', 'Завтра после шести'], en: ['I can\'t talk now, call me back later', 'Tomorrow after six'] } },
  /** asks for a human */
  operator: { replies: { ru: ['Соедините меня с оператором'], en: ['Put me through to an operator'] } },
  /** asks for a human, then hangs up while the robot keeps them waiting (its fourth utterance heard: the first hold message) */
  'operator-impatient': { replies: { ru: ['Соедините меня с оператором'], en: ['Put me through to an operator'] }, hangUpAfter: 4 },
  /** asks for a human; when nobody comes, asks to be called back tomorrow after six */
  'operator-then-call-back': { replies: { ru: ['Соедините меня с оператором', 'Завтра после шести'], en: ['Put me through to an operator', 'Tomorrow after six'] } },
  /** an operator's desk phone: answers, and the operator takes the call from the console */
  'operator-phone': { replies: { ru: [], en: [] } },
  /** an operator's desk phone: answers, hears the whisper and presses 1 to take the call */
  'operator-phone-key': { replies: { ru: [], en: [] }, presses: '1' },
  /** asks never to be called again */
  'do-not-call': { replies: { ru: ['Больше не звоните мне'], en: ['Do not call me again'] } },
  /** answers and says nothing */
  silent: { replies: { ru: [], en: [] } },
  /** answers, hears the greeting and hangs up */
  'hang-up': { hangUpAfter: 1 },
  busy: { rejectWith: 486 },
  'no-answer': { neverAnswers: true },
  /** phone off or out of coverage */
  unreachable: { rejectWith: 480 },
  'invalid-number': { rejectWith: 404 },
  /** the trunk refuses us for billing (402): every call would fail the same way */
  'trunk-billing': { rejectWith: 402 },
  /** a gateway that answers with an SDP that offers no audio stream */
  'bad-sdp': { replies: { ru: ['Да'], en: ['Yes'] }, sdpAnswer: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' },
} as const satisfies Record<string, Persona>;

export type PersonaName = keyof typeof PERSONAS;

export function isPersonaName(s: string): s is PersonaName {
  return Object.hasOwn(PERSONAS, s);
}
