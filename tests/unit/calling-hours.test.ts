import { describe, expect, it } from 'vitest';
import { callingWindows, fitToCallingHours, RU_CALENDAR, type CallingHours } from '../../src/core/index.js';

const cold: CallingHours = { weekdays: ['09:00', '20:00'], saturday: ['10:00', '17:00'], sunday: null, calendar: RU_CALENDAR };
const fit = (at: string, hours: CallingHours, timeZone = 'Europe/Moscow') =>
  fitToCallingHours({ earliest: new Date(at), latest: null }, { timeZone, windows: callingWindows(hours), calendar: hours.calendar, horizonDays: 16 })?.toISOString();

describe('calling hours with the Russian production calendar', () => {
  it('past 20:00 on 30 December 2026 a cold call waits out the new year\'s holidays to Saturday 9 January 2027, 10:00', () => {
    expect(fit('2026-12-30T17:30:00Z', cold)).toBe('2027-01-09T07:00:00.000Z');
  });

  it('the days off moved by the 2026 decree are holidays: 9 January and 9 March, 11 May; the next working day opens at 09:00', () => {
    expect(fit('2026-01-09T08:00:00Z', cold)).toBe('2026-01-10T07:00:00.000Z'); // Saturday 10 January, Saturday hours
    expect(fit('2026-03-09T08:00:00Z', cold)).toBe('2026-03-10T06:00:00.000Z');
    expect(fit('2026-05-11T08:00:00Z', cold, 'Asia/Vladivostok')).toBe('2026-05-11T23:00:00.000Z'); // 09:00 on 12 May in Vladivostok
  });

  it('a holiday has Sunday\'s hours: a campaign that calls on Sundays calls on 4 November at Sunday\'s hours', () => {
    const warm: CallingHours = { weekdays: ['09:00', '20:00'], saturday: ['09:00', '20:00'], sunday: ['11:00', '15:00'], calendar: RU_CALENDAR };
    expect(fit('2026-11-04T05:00:00Z', warm)).toBe('2026-11-04T08:00:00.000Z');
  });

  it('a working day moved onto a Saturday has the weekdays\' hours; without a calendar every day is its weekday', () => {
    const moved: CallingHours = { ...cold, calendar: { holidays: [], workdays: ['2026-11-28'] } };
    expect(fit('2026-11-28T05:00:00Z', moved)).toBe('2026-11-28T06:00:00.000Z'); // 09:00, not Saturday's 10:00
    expect(fit('2026-01-05T05:00:00Z', { ...cold, calendar: undefined })).toBe('2026-01-05T06:00:00.000Z');
  });
});
