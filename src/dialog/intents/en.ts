import { stemmer as snowball } from '@orama/stemmers/english';
import { byStemWith, cachedStemmer, type Lexicon } from './lexicon.js';

const stemmer = cachedStemmer(snowball);
const byStem = byStemWith(stemmer);

/** English as people answer a robot on the phone; see ru.ts for how patterns are written. */

const NEGATED_YES = [
  'want', 'need', 'interested', 'think', 'make it', 'come', 'go', 'work', 'fit', 'sound*', 'like', 'care', 'bother*', 'book', 'sign',
];

const yes = [
  'yes', 'yeah', 'yep', 'yup', 'ya', 'yea', 'sure', 'ok|okay|okey', 'alright|allright', 'all right', 'of course', 'course', 'certainly', 'definitely',
  'absolutely', 'fine', 'good', 'great', 'perfect', 'sounds good', 'that works', 'works for me', 'go ahead', 'please do', 'uh huh', 'uhhuh|mhm|mm',
  '^right', 'that s right', 'right yes', 'correct', 'exactly', 'indeed', 'i d love', 'i would love', 'love to', 'happy to', 'let s do it', 'let s', 'do it', 'book me', 'sign me up',
  'i m in', 'count me in', 'i agree', 'agreed', 'why not', 'i can', 'i will', 'i ll come', 'i ll be there', 'can do', 'deal', 'cool', 'awesome',
  'go for it', 'please', 'want', 'interested', 'affirmative', 'totally', 'that s me', 'yes please', 'i guess so', 'you bet', 'okie|okey|dokie|dokey', 'i m down', 'for sure', 'sounds great', 'that d be great', 'i d like', 'i would like', 'like that',
  // negation traps that are a yes
  '@1.2 no problem|problems', '@1.2 not a problem', '@1.2 no worries', '@1.2 wouldn t say no', '@1.2 why not', '@1.2 don t mind',
  '@1.2 wouldn t mind', '@1.2 no objection*', '@1.2 can t complain', '@1.2 not opposed', '@1.2 no reason not',
];

const no = [
  'no', 'nope', 'nah', 'naw', 'not really', 'no thanks|thank', 'i don t think so', 'not interested', 'i ll pass', 'pass', 'decline', 'never',
  'no way', 'of course not', 'absolutely not', 'definitely not', 'certainly not', 'not at all', 'not for me', 'i can t', 'can t make it', 'negative',
  'not now or ever', 'rather not', 'skip', 'no need', 'not necessary', 'i m good', 'i m fine', 'i m okay|ok', 'not today', 'not doing', 'not going', 'not at this time', 'no thank you',
  'not ... interested', 'don t ... want|need', 'won t', 'nah man', 'hell no', 'no no', 'i ll do it myself', 'i ll book ... myself',
  ...NEGATED_YES.map((w) => `not|don|doesn|didn|won|never ... ${w}`),
];

const operator = [
  'operator', 'human', 'real person', 'live person', 'actual person', 'representative', 'rep', 'agent', 'person please',
  'talk|speak ... someone|somebody|person|human|anyone|robot|machine', 'get ... someone|somebody|person|human', 'is there ... someone|somebody|person|anyone', 'connect me',
  'receptionist', 'front desk', 'staff', 'transfer', 'put me through', 'not a robot|machine|bot',
  'robot ... don t|not', 'customer service', 'reception', 'manager', 'nurse',
];

const callback = [
  'call ... back', 'callback', 'call ... later|tomorrow|tonight|evening|afternoon|morning|time|week', 'ring ... later|back',
  'not a good time', 'isn t a good time', 'not ... good time', 'bad time', 'not now', 'not right now', 'busy', 'driving', 'at work', 'in a meeting', 'meeting', 'can t talk',
  'can t ... talk|speak', 'another time', 'some other time', 'in an hour', 'in ... minutes|hour*', 'few minutes', 'middle of something',
  'at the doctor', 'on the road', 'on the train', 'on the bus', 'at the store', 'driving right now', 'in the|my car', 'can you try again later', 'try ... later',
  'catch me later', 'now isn t', 'not a great time', 'inconvenient', 'work right now',
  '@1.5 later', '@1.5 tomorrow', '@1.5 next week', '@1.5 tonight', '@1.5 this evening',
];

const repeat = [
  'repeat', '^what', '^huh', '^sorry', '^pardon', '^excuse me', '^come again', '^hello', '^eh', '^what s that', 'sorry what', 'what were ... options', '^say what', '^what was that',
  'say ... again', 'didn t catch', 'didn t hear', 'can t hear', 'couldn t hear', 'hard to hear', 'one more time', 'again please', 'didn t get that',
  'didn t understand', 'don t understand', 'what did you say', 'what was that', 'come again', 'speak up', 'louder', 'slower', 'breaking up',
  'bad line', 'bad connection', 'cut out', 'missed that', 'pardon', 'what did you', 'from the start', 'start over', 'i m sorry what',
];

const already_done = [
  'already', 'did it|that ... last|this|already|recently', 'had ... checkup|physical|exam|screening|one', 'had ... check up', 'been ... last|this|already|recently',
  'done ... already|last|this|recently', 'did|had|went|been|done ... ago', 'week*|month*|days|while ago', 'just had', 'just did', 'just went', 'was ... there ... last|this|already|recently|just', 'was just there', 'went ... last|this|already|recently', 'booked already',
  'i have ... appointment', 'already have', 'got ... appointment', 'i m ... booked|scheduled', 'already booked|scheduled', 'took care of',
];

const RELATIVES = 'wife|husband|mom|mother|dad|father|son|daughter|sister|brother|neighbor|roommate|grandson|granddaughter';
const wrong_person = [
  'wrong number', 'wrong person', 'not me', 'isn t me', 'no one ... named|called|here', 'nobody ... named|called|here', 'by that name', 'doesn t live', 'don t live',
  'doesn t ... here', 'no such person', 'don t know ... who|her|him|anyone', 'never heard of', 'not my|his|her number', 'isn t ... my|his|her number', `i m his|her ${RELATIVES}`, `it s his|her ${RELATIVES}`, `this is his|her ${RELATIVES}`,
  'he|she s not here|home|available|around|in', 'he|she ... doesn t live', 'passed away', 'died', 'moved',
  'new number', 'changed ... number', 'you have the wrong', 'got the wrong', 'not the person', 'this isn t him|her|me', 'that s not me', 'that isn t me', 'who are you looking',
];

const stop_calling = [
  'stop calling', 'stop ... call*', 'don t call', 'do not call', 'never call', 'quit calling', 'no more calls', 'remove ... number|me|list',
  'take me off', 'off your list', 'unsubscribe', 'leave me alone', 'stop bothering', 'delete ... number', 'don t ever call', 'not call ... again',
  'stop ... calls', 'sick of', 'tired of ... call*', 'harass*', 'opt out', 'more calls', 'any more calls', 'lose my number', 'don t contact', 'report you',
];

const later = [
  'later', 'anything later', 'something later', 'afternoon', 'evening', 'after ... work|lunch|noon', 'too early', 'later in the day', 'after',
  'not so early', 'end of the day', 'late',
];
const earlier = [
  'earlier', 'sooner', 'morning', 'before ... lunch|noon|work', 'too late', 'first thing', 'early',
];
const another_day = [
  'another day', 'different day', 'other day', 'another date', 'different date', 'next week', 'tomorrow', 'day after', 'not ... that|this day', 'can t|cannot ... that|this day',
  'other days', 'weekend', 'some other day', 'another week', 'different week', 'other dates', 'different days',
];

const unsure = [
  '^i don t know', 'not sure', 'who ... this|calling|you', 'what clinic', 'how much', 'is it free', 'cost', 'where ... located', 'where are you',
  'think about it', 'let me think', 'how did you get', 'what time', 'hold on', 'one sec*|second|minute', 'how long', '^is this', 'what do you want', 'what is it about|regarding',
];

export const en: Lexicon = {
  stem: stemmer,
  spelling: {
    yeh: 'yeah', yah: 'yeah', ye: 'yeah', k: 'ok', kk: 'ok', mkay: 'okay', gonna: 'going to', wanna: 'want to', gotta: 'got to', dunno: 'don t know',
    cant: 'can t', dont: 'don t', wont: 'won t', im: 'i m', ill: 'i ll', thats: 'that s', whats: 'what s', isnt: 'isn t', doesnt: 'doesn t',
    didnt: 'didn t', couldnt: 'couldn t', wouldnt: 'wouldn t', hes: 'he s', shes: 'she s', lets: 'let s', thx: 'thanks', pls: 'please', plz: 'please',
    mornin: 'morning', evenin: 'evening', tmrw: 'tomorrow', tmr: 'tomorrow', hi: 'hello', hey: 'hello',
  },
  fillers: new Set(['um', 'umm', 'uhh', 'er', 'erm', 'hmm', 'hm', 'well', 'actually', 'honestly', 'listen', 'look', 'hello', 'oh', 'ah']),
  cardinals: {
    zero: 0, oh: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
    thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50,
  },
  ordinals: byStem(['first', 'second', 'third', 'fourth', 'fifth', 'sixth'], { last: -1 }),
  weekdays: byStem(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']),
  clockWords: { noon: '12:00', midday: '12:00' },
  hourMarkers: new Set(['at', 'around', 'about']),
  optionMarkers: new Set(['option', 'number', 'choic']),
  unsure,
  patterns: { yes, no, operator, callback, repeat, already_done, wrong_person, stop_calling, choose: [], later, earlier, another_day },
};
