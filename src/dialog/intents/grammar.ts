import type { BuiltinIntent, IntentLanguage } from './api.js';

/**
 * The spoken phrases of the built-in intents, for a closed-grammar recogniser (pocketsphinx):
 * what people actually say, short, each one heard as its intent by the text matcher (a unit test
 * checks every phrase with intentMatcher, in each kind of step the intent is in play). A grammar
 * recogniser hears only these, so a phrase list is a trade-off: a longer list catches more answers
 * but also forces more off-grammar speech onto some phrase. A script's literal phrases are
 * appended by the caller.
 */
export const GRAMMAR_PHRASES: Readonly<Record<IntentLanguage, Readonly<Record<BuiltinIntent, readonly string[]>>>> = {
  ru: {
    yes: [
      'да', 'да конечно', 'конечно', 'хорошо', 'да хорошо', 'давайте', 'да давайте', 'ага', 'угу', 'ладно', 'согласен', 'согласна',
      'можно', 'да можно', 'да пожалуйста', 'подходит', 'да подходит', 'устраивает', 'отлично', 'верно', 'да верно', 'правильно',
      'записывайте', 'да записывайте', 'запишите', 'хочу', 'да хочу', 'приду', 'я приду', 'обязательно', 'окей', 'да да', 'конечно да',
      'с удовольствием', 'я не против', 'буду', 'да буду',
    ],
    no: [
      'нет', 'нет спасибо', 'не надо', 'нет не надо', 'не нужно', 'нет не нужно', 'не хочу', 'нет не хочу', 'отказываюсь', 'не буду',
      'нет нет', 'неа', 'конечно нет', 'да нет', 'ни в коем случае', 'не стоит', 'не подходит', 'нет не подходит', 'не интересно',
      'спасибо не надо', 'пожалуй нет', 'не приду', 'нет не приду',
    ],
    operator: [
      'оператор', 'оператора', 'соедините с оператором', 'позовите оператора', 'дайте оператора', 'с оператором', 'живого человека',
      'соедините с человеком', 'хочу поговорить с оператором', 'соедините с администратором', 'администратор', 'регистратура',
      'соедините с регистратурой', 'переключите на оператора', 'можно оператора', 'с живым человеком', 'не хочу с роботом',
    ],
    callback: [
      'перезвоните', 'перезвоните позже', 'перезвоните пожалуйста', 'перезвоните завтра', 'перезвоните вечером', 'позвоните позже',
      'позвоните завтра', 'я занят', 'я занята', 'сейчас неудобно', 'мне неудобно', 'не могу говорить', 'сейчас не могу',
      'я за рулём', 'я на работе', 'наберите позже', 'перезвоните через час', 'некогда', 'не сейчас', 'в другой раз',
    ],
    repeat: [
      'повторите', 'повторите пожалуйста', 'что', 'что вы сказали', 'не поняла', 'не понял', 'ещё раз', 'повторите ещё раз',
      'не расслышал', 'не расслышала', 'плохо слышно', 'извините что', 'как', 'можно ещё раз', 'повторите вопрос', 'не слышу',
      'говорите громче',
    ],
    already_done: [
      'я уже прошёл', 'я уже прошла', 'уже прошла', 'уже прошёл', 'я уже записан', 'я уже записана', 'уже записалась', 'уже был',
      'уже была', 'я недавно проходил', 'я уже сдал анализы', 'уже всё сделала', 'я уже обследовалась', 'у меня уже есть запись',
    ],
    wrong_person: [
      'это не я', 'вы ошиблись', 'вы не туда попали', 'не туда', 'ошиблись номером', 'такого нет', 'такой здесь не живёт',
      'не тот номер', 'это не мой номер', 'вы не тому звоните', 'я его не знаю', 'я её не знаю', 'это его жена', 'это её муж',
      'его нет дома', 'он здесь не живёт',
    ],
    stop_calling: [
      'не звоните', 'не звоните мне', 'больше не звоните', 'не звоните больше', 'хватит звонить', 'перестаньте звонить',
      'удалите мой номер', 'удалите номер', 'не беспокойте', 'не беспокойте меня', 'отстаньте', 'надоели', 'хватит',
      'прекратите звонить', 'уберите мой номер', 'сколько можно звонить',
    ],
    choose: [
      'первый', 'второй', 'третий', 'четвёртый', 'первое', 'второе', 'третье', 'первый вариант', 'второй вариант', 'третий вариант',
      'давайте первый', 'давайте второй', 'давайте третий', 'последний', 'в понедельник', 'во вторник', 'в среду', 'в четверг',
      'в пятницу', 'в субботу', 'в восемь', 'в девять', 'в десять', 'в одиннадцать', 'в двенадцать', 'в два', 'в три', 'в четыре',
    ],
    later: [
      'попозже', 'позже', 'позднее', 'вечером', 'после обеда', 'ближе к вечеру', 'во второй половине дня', 'давайте попозже',
      'а попозже есть', 'можно попозже',
    ],
    earlier: [
      'пораньше', 'раньше', 'утром', 'с утра', 'до обеда', 'в первой половине дня', 'давайте пораньше', 'а пораньше есть',
      'можно пораньше',
    ],
    another_day: [
      'другой день', 'в другой день', 'давайте другой день', 'завтра', 'послезавтра', 'на следующей неделе', 'другие дни',
      'а другие дни есть', 'не в этот день',
    ],
  },
  en: {
    yes: [
      'yes', 'yeah', 'yep', 'sure', 'okay', 'all right', 'of course', 'yes please', 'that works', 'sounds good', 'fine', 'great',
      'perfect', 'correct', "that's right", 'absolutely', 'definitely', 'go ahead', 'please do', 'yes of course', 'i will come',
      'book me', 'why not',
    ],
    no: [
      'no', 'nope', 'no thanks', 'no thank you', 'not really', 'not interested', 'i am not interested', 'i will pass', 'no way',
      'not at all', 'i do not want to', "i can't", 'no need', 'not today', 'no no',
    ],
    operator: [
      'operator', 'an operator', 'talk to an operator', 'speak to someone', 'a real person', 'a live person', 'representative',
      'receptionist', 'connect me', 'transfer me', 'put me through', 'front desk', 'speak to a human',
    ],
    callback: [
      'call me back', 'call back later', 'call me later', 'call me tomorrow', 'not a good time', 'bad time', 'not now',
      'not right now', 'i am busy', 'i am driving', 'i am at work', 'in a meeting', "i can't talk", 'another time',
      'try again later',
    ],
    repeat: [
      'repeat', 'repeat please', 'what', 'sorry', 'pardon', 'come again', 'say that again', 'say again', 'one more time',
      "i didn't catch that", "i didn't hear you", 'what did you say', 'speak up', 'louder please',
    ],
    already_done: [
      'already done', 'i already did', 'i already did it', 'i already had it', 'already booked', 'i have an appointment',
      'i already have an appointment', 'i just had it', 'i did it last month', 'i am already booked',
    ],
    wrong_person: [
      'wrong number', 'wrong person', 'not me', 'that is not me', 'no one by that name', 'nobody here by that name',
      "he doesn't live here", "she doesn't live here", 'you have the wrong number',
    ],
    stop_calling: [
      'stop calling', 'stop calling me', 'do not call me', 'do not call again', 'do not call me again', 'remove my number',
      'take me off your list', 'leave me alone', 'never call again',
    ],
    choose: [
      'the first', 'the second', 'the third', 'first', 'second', 'third', 'the first one', 'the second one', 'the third one',
      'the last one', 'option one', 'option two', 'option three', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday',
      'on monday', 'on tuesday', 'on wednesday', 'on thursday', 'on friday', 'at nine', 'at ten', 'at eleven',
    ],
    later: ['later', 'a bit later', 'something later', 'in the afternoon', 'in the evening', 'after lunch', 'later in the day'],
    earlier: ['earlier', 'a bit earlier', 'something earlier', 'in the morning', 'before lunch', 'earlier in the day'],
    another_day: ['another day', 'a different day', 'other days', 'next week', 'tomorrow', 'the day after tomorrow'],
  },
};

/** The phrases of these built-in intents in one language, each once; names that are not built-ins are skipped (a script's own intents bring their phrases). */
export function grammarPhrases(intents: readonly string[], language: IntentLanguage): string[] {
  const table = GRAMMAR_PHRASES[language] as Readonly<Record<string, readonly string[]>>;
  return [...new Set(intents.flatMap((i) => (Object.hasOwn(table, i) ? table[i]! : [])))];
}
