import { describe, expect, it } from 'vitest';
import { parseContactsCsv, type ParsedContacts } from '../../src/registry/index.js';
import { ContactError, decodeText } from '../../src/core/index.js';

const header = 'last_name,first_name,middle_name,birth_year,phone,time_zone,tags\n';
const good = (i: number) => `Попова,Елена,,1975,+7918555${String(i).padStart(4, '0')},Asia/Yekaterinburg,\n`;

/** Windows-1251, as a Russian MIS or Excel saves "CSV": А-я at 0xC0-0xFF, Ё/ё at 0xA8/0xB8. */
function cp1251(text: string): Buffer {
  return Buffer.from([...text].map((ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x80 ? c : c >= 0x410 && c <= 0x44f ? c - 0x410 + 0xc0 : c === 0x401 ? 0xa8 : c === 0x451 ? 0xb8 : 0x3f;
  }));
}

function thrown(fn: () => unknown): ContactError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ContactError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('parseContactsCsv()', () => {
  it('turns domestic and formatted numbers into E.164 and splits tags', () => {
    const r = parseContactsCsv(`${header}Иванова,Анна,Петровна,1961,8 (918) 555-01-01,Europe/Moscow,priority;65+\n`, 'c.csv');
    expect(r.rejected).toEqual([]);
    expect(r.contacts[0]).toMatchObject({ line: 2, phone: '+79185550101', lastName: 'Иванова', birthYear: 1961, tags: ['priority', '65+'] });
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
      { line: 4, column: 'last_name', problem: 'is blank' },
      { line: 5, column: 'birth_year', problem: 'must be a year such as 1961' },
      { line: 6, column: 'time_zone', problem: 'must be an IANA time zone such as Europe/Moscow' },
    ]);
  });

  it('names every problem of a row in its one rejection, so one round of fixes does it', () => {
    const r = parseContactsCsv(header + ',Ольга,,19x0,12345,Mars/Olympus,\n', 'c.csv');
    expect(r.rejected).toEqual([{
      line: 2, column: 'last_name',
      problem: expect.stringMatching(/^is blank; column birth_year: must be a year such as 1961; column time_zone: must be an IANA time zone such as Europe\/Moscow; column phone: is not a valid phone number/),
    }]);
    expect(r.rows).toBe(1);
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

  it('rejects a file that names a column twice, naming the second at line 1, rather than letting one win', () => {
    const err = thrown(() => parseContactsCsv('last_name,first_name,phone,time_zone,phone\nИванова,Анна,+79185550101,Europe/Moscow,+79185550102\n', 'c.csv'));
    expect(err.code).toBe('CONTACT_INVALID');
    expect(err.where).toMatchObject({ file: 'c.csv', line: 1, col: 5 });
    expect(err.message).toBe('column "phone" appears twice (columns 3 and 5); which one holds the data is anyone\'s guess');
  });

  describe('malformed rows: each one named, every other row read', () => {
    it('a stray quote rejects its own row only, and does not swallow the rows after it', () => {
      const r = parseContactsCsv(header + good(1) + '"Иванова,Анна,,1961,+79185550101,Europe/Moscow,\n' + good(3) + 'Пет"ров,Сергей,,1958,+79185550104,Europe/Moscow,\n' + good(5), 'c.csv');
      expect(r.contacts.map((c) => c.line)).toEqual([2, 4, 6]);
      expect(r.rejected).toEqual([
        { line: 3, column: 'last_name', problem: 'a quote opens a cell and is never closed' },
        { line: 5, column: 'last_name', problem: expect.stringMatching(/^a quote in the middle of a cell/) },
      ]);
    });

    it('a short or long row is rejected with its cell count', () => {
      const r = parseContactsCsv(header + 'Иванова,Анна,+79185550101\n' + good(3) + 'Петров,Сергей,,1958,+79185550104,Europe/Moscow,,extra\n', 'c.csv');
      expect(r.contacts.map((c) => c.line)).toEqual([3]);
      expect(r.rejected).toEqual([
        { line: 2, problem: 'has 3 cells; the header has 7' },
        { line: 4, problem: 'has 8 cells; the header has 7' },
      ]);
    });

    it('a quoted line break inside a cell rejects the row spanning both lines, and the next row is read', () => {
      const r = parseContactsCsv(header + '"Иванова\nСидорова",Анна,,1961,+79185550101,Europe/Moscow,\n' + good(4), 'c.csv');
      expect(r.contacts.map((c) => c.line)).toEqual([4]);
      expect(r.rejected).toEqual([{ line: 2, column: 'last_name', problem: expect.stringMatching(/^a cell has a line break in it \(lines 2-3\)/) }]);
    });

    it('reads quoted cells with delimiters and doubled quotes in them, and skips blank and all-empty rows', () => {
      const r = parseContactsCsv(`${header}"Иванова, урожд. ""Смирнова""",Анна,,1961,"+7 918 555-01-01",Europe/Moscow,\n\n,,,,,,\n${good(5)}`, 'c.csv');
      expect(r.rejected).toEqual([]);
      expect(r.rows).toBe(2);
      expect(r.contacts[0]!.lastName).toBe('Иванова, урожд. "Смирнова"');
    });
  });

  describe('cells that must not be stored', () => {
    const cases: [string, string, string | RegExp][] = [
      ['a NUL', 'Ива\u0000нова', /NUL/],
      ['a control character', 'Ива\u0007нова', 'has a control character (U+0007) in it'],
      ['a replacement character', 'Ива\ufffdнова', /U\+FFFD/],
      ['a blank (whitespace-only) name', '   ', 'is blank'],
      ['a 201-character name', 'Я'.repeat(201), 'is 201 characters long; at most 200 are allowed'],
    ];
    for (const [what, lastName, problem] of cases) {
      it(`rejects ${what} in a name with its reason`, () => {
        const r = parseContactsCsv(`${header}${lastName},Анна,,1961,+79185550101,Europe/Moscow,\n${good(3)}`, 'c.csv');
        expect(r.contacts.map((c) => c.line)).toEqual([3]);
        expect(r.rejected).toEqual([{ line: 2, column: 'last_name', problem: typeof problem === 'string' ? problem : expect.stringMatching(problem) }]);
      });
    }

    it('rejects a 10 MB line by its length, before reading its cells', () => {
      const r = parseContactsCsv(`${header}Иванова,${'Я'.repeat(10 * 1024 * 1024)},,1961,+79185550101,Europe/Moscow,\n${good(3)}`, 'c.csv');
      expect(r.contacts.map((c) => c.line)).toEqual([3]);
      expect(r.rejected).toEqual([{ line: 2, problem: expect.stringMatching(/^the line is 10,485,\d{3} characters long; at most 1000 are read$/) }]);
    });

    it('rejects a 65-character phone', () => {
      const r = parseContactsCsv(`${header}Иванова,Анна,,1961,${'9'.repeat(65)},Europe/Moscow,\n`, 'c.csv');
      expect(r.rejected).toEqual([{ line: 2, column: 'phone', problem: 'is 65 characters long; at most 64 are allowed' }]);
    });
  });

  for (const [tz, problem] of [
    ['Mars/Olympus', 'must be an IANA time zone such as Europe/Moscow'],
    ['MSK', 'must be an IANA time zone such as Europe/Moscow'],
    ['+03:00', 'must be an IANA time zone such as Europe/Moscow'],
    ['Europe/Moskow', 'must be an IANA time zone such as Europe/Moscow; did you mean Europe/Moscow?'],
  ] as const) {
    it(`rejects the time zone ${tz} with a reason`, () => {
      const r = parseContactsCsv(`${header}Иванова,Анна,,1961,+79185550101,${tz},\n`, 'c.csv');
      expect(r.contacts).toEqual([]);
      expect(r.rejected).toEqual([{ line: 2, column: 'time_zone', problem }]);
    });
  }

  it('never quotes a cell in a problem: patient data stays out of messages and logs', () => {
    const secret = 'Шпионова';
    const r = parseContactsCsv(header + [
      `${secret},Анна,,1961,${secret},Europe/Moscow,`, // phone
      `${secret},Анна,,${secret},+79185550101,Europe/Moscow,`, // birth year
      `${secret},Анна,,1961,+79185550101,${secret},`, // time zone (a shifted column)
      `"${secret},Анна,,1961,+79185550101,Europe/Moscow,`, // open quote
      `${secret}"x,Анна,,1961,+79185550101,Europe/Moscow,`, // stray quote
      `${secret}\u0001,Анна,,1961,+79185550101,Europe/Moscow,`,
    ].join('\n'), 'c.csv');
    expect(r.rejected).toHaveLength(6);
    expect(JSON.stringify(r.rejected)).not.toContain(secret);
    expect(JSON.stringify(r.rejected)).not.toContain('Шпион');
  });

  describe('delimiters', () => {
    const rows = (d: string) => [header.trim(), 'Иванова,Анна,Петровна,1961,+79185550101,Europe/Moscow,adult'].map((l) => l.replaceAll(',', d)).join('\r\n');
    for (const [name, d] of [['semicolons (Excel in a Russian locale)', ';'], ['tabs', '\t'], ['commas', ',']] as const) {
      it(`reads ${name}, found in the header line`, () => {
        const r = parseContactsCsv(rows(d), 'c.csv');
        expect(r.delimiter).toBe(d);
        expect(r.rejected).toEqual([]);
        expect(r.contacts[0]).toMatchObject({ lastName: 'Иванова', middleName: 'Петровна', phone: '+79185550101', tags: ['adult'] });
      });
    }
  });

  describe('encodings', () => {
    const text = `${header}Ёлкина,Анна,Петровна,1961,+79185550101,Europe/Moscow,\n`;
    const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
    const encoded: [string, Buffer, string][] = [
      ['UTF-8', Buffer.from(text), 'utf-8'],
      ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8'],
      ['Windows-1251', cp1251(text), 'windows-1251'],
      ['UTF-16 LE with a BOM (Excel "Unicode text")', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'utf-16le'],
      ['UTF-16 BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), 'utf-16be'],
    ];
    for (const [name, bytes, encoding] of encoded) {
      it(`reads ${name} with the names intact`, () => {
        const r: ParsedContacts = parseContactsCsv(bytes, 'c.csv');
        expect(r.encoding).toBe(encoding);
        expect(r.rejected).toEqual([]);
        expect(r.contacts[0]).toMatchObject({ lastName: 'Ёлкина', firstName: 'Анна', middleName: 'Петровна' });
      });
    }

    it('refuses bytes that are neither UTF-8 nor Cyrillic Windows-1251, rather than store "�������"', () => {
      const latin1 = Buffer.from(`${header}M\u00fcller,J\u00fcrgen,,1961,+79185550101,Europe/Berlin,\n`, 'latin1');
      const err = thrown(() => parseContactsCsv(latin1, 'c.csv'));
      expect(err.code).toBe('CONTACT_INVALID');
      expect(err.where.file).toBe('c.csv');
      expect(err.message).toBe('cannot read the text: it is neither UTF-8 nor Windows-1251 Cyrillic');
    });

    it('refuses UTF-16 without a byte-order mark, naming it', () => {
      expect(() => parseContactsCsv(Buffer.from(text, 'utf16le'), 'c.csv')).toThrow(/UTF-16 without a byte-order mark/);
    });

    it('decodeText() never returns U+FFFD for a broken UTF-16 or UTF-8 file with a BOM: it refuses', () => {
      const brokenUtf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Ив'), Buffer.from([0xd0])]);
      const loneSurrogate = Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8, 0x41, 0x00]);
      for (const bytes of [brokenUtf8, loneSurrogate]) expect(() => decodeText(bytes, { file: 'c.csv', code: 'CONTACT_INVALID' })).toThrow(/byte-order mark but is not valid/);
    });
  });

  it('reads the demo contact list', async () => {
    const { readFileSync } = await import('node:fs');
    const r = parseContactsCsv(readFileSync('config/demo-contacts.csv'), 'config/demo-contacts.csv', { extraColumns: ['persona'] });
    expect(r.rejected).toEqual([]);
    expect(r.contacts.length).toBeGreaterThan(3);
    expect(r.contacts[0]!.extra).toEqual({ persona: 'agree' });
  });
});
