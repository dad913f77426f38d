import { describe, expect, it } from 'vitest';
import { parseContactsCsv } from '../../src/registry/index.js';
import { ContactError } from '../../src/core/index.js';

const header = 'last_name,first_name,middle_name,birth_year,phone,time_zone,tags\n';

describe('parseContactsCsv()', () => {
  it('turns domestic and formatted numbers into E.164 and splits tags', () => {
    const r = parseContactsCsv(`${header}Иванова,Анна,Петровна,1961,8 (918) 555-01-01,Europe/Moscow,priority;65+\n`, 'c.csv');
    expect(r.rejected).toEqual([]);
    expect(r.contacts[0]).toMatchObject({ phone: '+79185550101', lastName: 'Иванова', birthYear: 1961, tags: ['priority', '65+'] });
  });

  it('reports every junk row by line, column and problem and keeps the good rows', () => {
    const r = parseContactsCsv(
      header +
        'Иванова,Анна,,1961,+79185550101,Europe/Moscow,\n' +
        'Петров,Сергей,,1958,12345,Europe/Moscow,\n' +
        ',Ольга,,1970,+79185550103,Europe/Moscow,\n' +
        'Сидоров,Иван,,19x0,+79185550104,Europe/Moscow,\n' +
        'Кузнецов,Олег,,1965,+79185550105,Mars/Olympus,\n' +
        'Попова,Елена,,1975,+79185550106,Asia/Yekaterinburg,\n',
      'c.csv',
    );
    expect(r.contacts.map((c) => c.lastName)).toEqual(['Иванова', 'Попова']);
    expect(r.rejected).toEqual([
      { line: 3, column: 'phone', problem: expect.stringMatching(/not a valid phone number/) },
      { line: 4, column: 'last_name', problem: expect.any(String) },
      { line: 5, column: 'birth_year', problem: 'must be a year such as 1961' },
      { line: 6, column: 'time_zone', problem: 'must be an IANA time zone such as Europe/Moscow' },
    ]);
  });

  it('rejects a second row for the same external id, naming the first', () => {
    const r = parseContactsCsv(`external_id,${header}` +
      'MIS-1,Иванова,Анна,,1961,+79185550101,Europe/Moscow,\n' +
      'MIS-1,Иванова,Анна,,1961,+79185550102,Europe/Moscow,\n', 'c.csv');
    expect(r.contacts).toHaveLength(1);
    expect(r.rejected).toEqual([{ line: 3, column: 'external_id', problem: 'the same person as line 2' }]);
  });

  it('rejects a file missing a required column, or with an unknown one, as a whole', () => {
    expect(() => parseContactsCsv('last_name,first_name,time_zone\nА,Б,Europe/Moscow\n', 'c.csv')).toThrow(/missing column "phone"/);
    expect(() => parseContactsCsv(`${header.trim()},snils\n`, 'c.csv')).toThrow(ContactError);
  });

  it('rejects text that is not CSV naming the line', () => {
    let err: ContactError | undefined;
    try {
      parseContactsCsv(`${header}"Иванова,Анна,,1961,+79185550101,Europe/Moscow,\n`, 'c.csv');
    } catch (e) {
      err = e as ContactError;
    }
    expect(err).toBeInstanceOf(ContactError);
    expect(err!.where.file).toBe('c.csv');
    expect(err!.message).toMatch(/not a readable CSV/);
    expect(err!.describe()).not.toContain('Иванова'); // no cell value in a message that may be logged
  });
});
