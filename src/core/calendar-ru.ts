import type { ProductionCalendar } from './types.js';

/**
 * The Russian production calendar: federal non-working holidays (Labour Code art. 112: 1-8
 * January, 23 February, 8 March, 1 and 9 May, 12 June, 4 November) with the days off they move
 * to when they fall on a weekend, and the working days moved onto weekends, for the years the
 * government's decree is known. Data, not code: a clinic adds regional holidays (and its own
 * moved days) in the campaign file (rules.holidays, rules.workdays).
 *
 * 2026: decree of the Government of the Russian Federation on moving days off in 2026: 3 January
 * (Saturday) to 9 January, 4 January (Sunday) to 31 December; 8 March (Sunday) moves to
 * 9 March, 9 May (Saturday) to 11 May; no working Saturdays.
 * 2027: art. 112's rule only (a holiday on a weekend gives the next working day off: 1 May to
 * 3 May, 9 May to 10 May, 12 June to 14 June); the January days that fall on a weekend (2 and 3
 * January) are moved by the yearly decree, which is not in this file: add its days when it is
 * published.
 */
export const RU_CALENDAR: ProductionCalendar = {
  holidays: [
    // 2026
    '2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09',
    '2026-02-23', '2026-03-09', '2026-05-01', '2026-05-11', '2026-06-12', '2026-11-04', '2026-12-31',
    // 2027
    '2027-01-01', '2027-01-02', '2027-01-03', '2027-01-04', '2027-01-05', '2027-01-06', '2027-01-07', '2027-01-08',
    '2027-02-23', '2027-03-08', '2027-05-03', '2027-05-10', '2027-06-14', '2027-11-04',
  ],
  workdays: [],
};
