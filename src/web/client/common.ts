// What the console and the supervisor pages share: the words in two languages, the API, the ws
// hub, and building DOM from data (text is always set as text: names come from the registry).

export type Lang = 'ru' | 'en';

export const WORDS = {
  ru: {
    title: 'zvonar — оператор', campaigns: 'Кампании', console: 'Консоль оператора', login: 'Логин', password: 'Пароль', signIn: 'Войти', signOut: 'Выйти',
    wrongLogin: 'Неверный логин или пароль', presence: 'Статус', available: 'Доступен', away: 'Отошёл', busy: 'Занят', 'wrap-up': 'Пост-обработка',
    queue: 'Очередь', emptyQueue: 'В очереди никого нет', idle: 'Ожидание звонков. Установите статус «Доступен», чтобы получать звонки.',
    offered: 'Входящий звонок от робота', accept: 'Принять', decline: 'Отклонить', hangup: 'Завершить звонок', connected: 'На линии',
    patient: 'Пациент', age: 'Возраст', phone: 'Телефон', clinic: 'Клиника', campaign: 'Кампания', reason: 'Причина', note: 'Заметка сценария',
    offeredSlots: 'Робот предлагал', transcript: 'Разговор', robot: 'Робот', callee: 'Пациент', system: 'Система', slots: 'Свободное время', book: 'Записать',
    booked: 'Записан', wrapUp: 'Итог звонка', disposition: 'Результат', yourNote: 'Комментарий', callbackAt: 'Перезвонить', save: 'Сохранить',
    ended: 'Звонок завершён', withdrawn: 'Звонок снят', waiting: 'ждёт', taken: 'Звонок взял другой оператор', status: 'Состояние', dialog: 'Сценарий',
    pause: 'Приостановить', resume: 'Возобновить', stop: 'Остановить', attempts: 'Попытки (CSV)', operators: 'Операторы', rules: 'Правила', progress: 'Ход кампании',
    visits: 'Визиты пациента', moveTo: 'перенести на…', move: 'Перенести', cancelVisit: 'Отменить визит',
    liveCalls: 'Звонки сейчас', ringing: 'звонит', upload: 'Загрузить контакты (CSV)',
    language: 'English', state: { waiting: 'ждёт', offered: 'предложен', connecting: 'соединение', connected: 'на линии', ended: 'завершён' },
  },
  en: {
    title: 'zvonar — operator', campaigns: 'Campaigns', console: 'Operator console', login: 'Login', password: 'Password', signIn: 'Sign in', signOut: 'Sign out',
    wrongLogin: 'Wrong login or password', presence: 'Presence', available: 'Available', away: 'Away', busy: 'Busy', 'wrap-up': 'Wrap-up',
    queue: 'Queue', emptyQueue: 'Nobody is waiting', idle: 'Waiting for calls. Set yourself Available to get them.',
    offered: 'A call from the robot', accept: 'Accept', decline: 'Decline', hangup: 'End call', connected: 'On the line',
    patient: 'Patient', age: 'Age', phone: 'Phone', clinic: 'Clinic', campaign: 'Campaign', reason: 'Reason', note: 'Script note',
    offeredSlots: 'The robot offered', transcript: 'Conversation', robot: 'Robot', callee: 'Patient', system: 'System', slots: 'Free times', book: 'Book',
    booked: 'Booked', wrapUp: 'Wrap-up', disposition: 'Outcome', yourNote: 'Note', callbackAt: 'Call back at', save: 'Save',
    ended: 'Call ended', withdrawn: 'Call withdrawn', waiting: 'waiting', taken: 'Another operator took the call', status: 'Status', dialog: 'Script',
    pause: 'Pause', resume: 'Resume', stop: 'Stop', attempts: 'Attempts (CSV)', operators: 'Operators', rules: 'Rules', progress: 'Progress',
    visits: 'The patient\'s visits', moveTo: 'move to…', move: 'Move', cancelVisit: 'Cancel the visit',
    liveCalls: 'Calls now', ringing: 'ringing', upload: 'Upload contacts (CSV)',
    language: 'Русский', state: { waiting: 'waiting', offered: 'offered', connecting: 'connecting', connected: 'on the line', ended: 'ended' },
  },
} as const;

export const DISPOSITION_WORDS: Record<Lang, Record<string, string>> = {
  ru: {
    BOOKED: 'Записан на приём', CONFIRMED: 'Подтвердил визит', RESCHEDULED: 'Перенёс визит', CANCELLED_BY_PATIENT: 'Отменил визит', DECLINED: 'Отказался',
    ALREADY_DONE: 'Уже прошёл', WRONG_NUMBER: 'Ошибочный номер', WRONG_PERSON: 'Не тот человек', DECEASED: 'Умер', MOVED: 'Переехал', DNC: 'Просит не звонить',
    CALLBACK_REQUESTED: 'Перезвонить', NEEDS_HUMAN: 'Нужен повторный звонок оператора',
  },
  en: {
    BOOKED: 'Booked', CONFIRMED: 'Confirmed the visit', RESCHEDULED: 'Moved the visit', CANCELLED_BY_PATIENT: 'Cancelled the visit', DECLINED: 'Declined',
    ALREADY_DONE: 'Already done', WRONG_NUMBER: 'Wrong number', WRONG_PERSON: 'Wrong person', DECEASED: 'Deceased', MOVED: 'Moved away', DNC: 'Do not call',
    CALLBACK_REQUESTED: 'Call back', NEEDS_HUMAN: 'An operator should call again',
  },
};

export let lang: Lang = (localStorage.getItem('zvonar.lang') as Lang | null) ?? 'ru';
export const t = () => WORDS[lang];
export function toggleLang(): void {
  lang = lang === 'ru' ? 'en' : 'ru';
  localStorage.setItem('zvonar.lang', lang);
  document.documentElement.lang = lang;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body), credentials: 'same-origin' });
  const data = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, data.error?.code ?? 'INTERNAL', data.error?.message ?? res.statusText);
  return data as T;
}

/** The ws hub, reconnecting after a lost connection; `on` gets each message. */
export function hub(on: (msg: { type: string; [k: string]: unknown }) => void): void {
  const open = () => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    ws.onmessage = (e) => on(JSON.parse(String(e.data)));
    ws.onclose = () => setTimeout(open, 2000);
  };
  open();
}

type Child = Node | string | null | undefined | false;
/** An element with attributes (`on*` functions become listeners) and children; strings become text nodes. */
export function h(tag: string, attrs: Record<string, unknown> = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'value') (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/** A moment as the clinic says it (its zone, not the browser's). */
export function fmtTime(iso: string | number, timeZone?: string): string {
  return new Date(iso).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', ...(timeZone ? { timeZone } : {}) });
}
