import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, ZvonarError } from '../core/index.js';
import type { Config } from '../config/index.js';
import {
  audioIntents, checkScript, createLogger, debugDetail, GRAPH_FORMATS, serveSpeech, intentsOf, readConfig, runDialogTests, scriptGraph, EXPORT_FORMATS, EXPORTS, failureLine, placeTestCall, runDemo, runEngine, runExport,
  campaignStatus, controlCampaign, runBookingsImport, runContactsImport, runSimulate, runLoad, runMigrate,
  scriptJsonSchema, toZvonarError, addOperator, listOperators, removeOperator, type ExportFormat, type ExportWhat,
} from '../app/index.js';

// Every failure is one line on stderr, `zvonar: ... [CODE]`, and a non-zero exit: 1 for INTERNAL
// (a bug), 2 for the rest. Stacks are printed only at debug level.
let debug = isDebugLevel(process.env.ZVONAR_LOG_LEVEL);
let installed: { root: string; version: string } | undefined;

function fail(err: unknown): never {
  const e = toZvonarError(err);
  process.stderr.write(`${failureLine(e)}\n`);
  if (debug) process.stderr.write(`${debugDetail(err)}\n`);
  process.exit(e.code === 'INTERNAL' ? 1 : 2);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

// A reader that goes away (`zvonar load ... | head`) is not a failure: output stops, `run` stops
// dialling as on SIGINT (active calls finish), and the command exits 0.
const readerGone = new AbortController();
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') fail(err);
  readerGone.abort();
});
const write = (text: string) => {
  if (!readerGone.signal.aborted) process.stdout.write(text);
};
const out = (line: string) => write(`${line}\n`);

const program = new Command()
  .name('zvonar')
  .description('Outbound voice-robot dialer for clinics')
  .version(pkg().version, '-V, --version', 'print the version')
  .option('-c, --config <file>', 'configuration file (default: config/default.yaml of the installed package)')
  .exitOverride()
  .configureOutput({ outputError: () => {} });

const config = (over: Partial<Config['log']> = {}): Config => {
  const file = program.opts<{ config?: string }>().config ?? join(pkg().root, 'config/default.yaml');
  const cfg = readConfig(file);
  debug ||= isDebugLevel(cfg.log.level);
  return { ...cfg, log: { ...cfg.log, ...over } };
};

program
  .command('demo')
  .description('run a sample campaign against simulated callees (embedded registry and speech server)')
  .option('--campaign <file>', 'campaign file (default: config/demo-campaign.yaml of the installed package)')
  .option('--data <dir>', 'folder of the demo registry (PGlite); emptied at start', './data/demo')
  .option('--record', 'record each answered call as a WAV under <data>/recordings', false)
  .option('--console', 'serve the operator console and the supervisor pages with demo operators, start calling once one is available, stay up until Ctrl-C', false)
  .action(async (o: { campaign?: string; data: string; record: boolean; console: boolean }) => {
    const cfg = config(process.env.ZVONAR_LOG_LEVEL ? {} : { level: 'warn' });
    const dataDir = resolve(o.data);
    let campaignFile = o.campaign;
    if (!campaignFile) {
      // The demo campaign names its script and contact list relative to the package (dialogs/,
      // config/), and campaign files resolve paths against the working directory first.
      process.chdir(pkg().root);
      campaignFile = 'config/demo-campaign.yaml';
    }
    const stop = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
    await runDemo({ ...cfg, database: { ...cfg.database, dataDir } }, { campaignFile, out, record: o.record, console: o.console, signal: stop.signal });
  });

program
  .command('migrate')
  .description('create or update the registry schema')
  .action(async () => {
    const applied = await runMigrate(config());
    out(applied.length ? `applied: ${applied.join(', ')}` : 'registry schema is up to date');
  });

program
  .command('load')
  .argument('<campaign-file>', 'campaign file (YAML) naming its dialog script and contact list')
  .description('create a campaign and import its contacts')
  .action(async (file: string) => runLoad(config(), file, out));

program
  .command('run')
  .description('dial an active campaign until stopped, a line per finished call and a summary at the end')
  .option('--campaign <id>', 'campaign id (default: the only active one)')
  .option('--dialogs <dir>', 'folder of dialog scripts (default: dialogs/ of the installed package)')
  .option('--until-idle', 'stop when nothing is due now', false)
  .action(async (o: { campaign?: string; dialogs?: string; untilIdle: boolean }) => {
    const stop = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
    await runEngine(config(), {
      campaignId: o.campaign, dialogsDir: o.dialogs ?? join(pkg().root, 'dialogs'), untilIdle: o.untilIdle,
      signal: AbortSignal.any([stop.signal, readerGone.signal]), out,
    });
  });

program
  .command('call')
  .argument('<number>', 'the number to call: +79001234567, 8 900 123-45-67')
  .description('place one call now through the configured telephony with a dialog script, and print what happened')
  .requiredOption('--dialog <file>', 'dialog script (YAML)')
  .option('--trunk <name>', 'SIP trunk of telephony.trunks (default: the first)')
  .option('--patient <name>', 'who the script greets, when the registry does not know the number: "Фамилия Имя Отчество"')
  .option('--dtmf <keys>', 'keys to press once answered, before the script speaks, e.g. an extension: 123 (\',\' waits 0.5 s)')
  .option('--book', 'book the slot the callee picks (default: a rehearsal, no slot is held or booked)', false)
  .option('--json', 'print one JSON object: disposition, sipStatus, q850, amd, durationMs, transcript, ...', false)
  .action(async (number: string, o: { dialog: string; trunk?: string; patient?: string; dtmf?: string; book: boolean; json: boolean }) => {
    const cfg = config(process.env.ZVONAR_LOG_LEVEL ? {} : { level: 'warn' });
    const r = await placeTestCall(cfg, {
      number, dialogFile: o.dialog, book: o.book,
      ...(o.trunk === undefined ? {} : { trunk: o.trunk }),
      ...(o.patient === undefined ? {} : { patient: o.patient }),
      ...(o.dtmf === undefined ? {} : { dtmf: o.dtmf }),
      ...(o.json ? {} : { onEvent: out }),
    });
    if (o.json) return out(JSON.stringify(r));
    out('');
    out(`disposition ${r.disposition} (${r.because})`);
    const talked = r.sipStatus === 200 ? `talked ${(r.durationMs / 1000).toFixed(1)} s` : 'not answered';
    out(`SIP ${r.sipStatus ?? '-'}${r.q850 === null ? '' : `, Q.850 cause ${r.q850}`}, ${talked}${r.earlyMedia ? `, early media: ${r.earlyMedia}` : ''}`);
    if (r.slot) out(`slot ${r.slot.id} at ${r.slot.startsAt} ${r.slot.resource}: ${r.rehearsal ? 'a rehearsal, not booked (--book books it)' : 'booked'}`);
    out(`recorded as attempt ${r.callId} of campaign ${r.campaignId}`);
  });

const operator = program.command('operator').description('who may sign in to the operator console and the supervisor pages');
operator
  .command('add')
  .argument('<login>', '2-40 of a-z 0-9 . _ -')
  .requiredOption('--name <name>', 'the name the console shows')
  .addOption(new Option('--role <role>', 'operators take calls and book; supervisors steer campaigns').choices(['operator', 'supervisor']).default('operator'))
  .option('--phone <number>', 'the desk phone a taken call is put through to (E.164 or a SIP URI)')
  .option('--languages <list>', 'languages the operator speaks', 'ru')
  .option('--skills <list>', 'queues (the scripts\' handoff skill or queue) the operator takes; * for all', '*')
  .description('create an account, or change one (the password is read from ZVONAR_PASSWORD or the first line of stdin; hashed with argon2id)')
  .action(async (login: string, o: { name: string; role: 'operator' | 'supervisor'; phone?: string; languages: string; skills: string }) => {
    const password = process.env.ZVONAR_PASSWORD ?? (await firstLine());
    const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
    out(await addOperator(config(), { login, name: o.name, role: o.role, password, phone: o.phone ?? null, languages: list(o.languages), skills: list(o.skills) }));
  });
operator
  .command('list')
  .description('the accounts, one per line')
  .action(async () => {
    for (const a of await listOperators(config())) out(`${a.login}\t${a.role}\t${a.name}\t${a.languages.join(',')}\t${a.skills.join(',')}\t${a.phone ?? '-'}${a.disabled ? '\tdisabled' : ''}`);
  });
operator
  .command('disable')
  .argument('<login>')
  .description('no more sign-ins; the account\'s sessions end at once')
  .action(async (login: string) => out(await removeOperator(config(), login)));

async function firstLine(): Promise<string> {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) return line;
  throw new ZvonarError('USAGE', 'no password: set ZVONAR_PASSWORD or give it on stdin', {});
}

const speech = program.command('speech').description('the speech server: RHVoice, espeak-ng and pocketsphinx behind proto/zvonar/speech/v1');
speech
  .command('serve')
  .option('--listen <host:port>', 'where to listen', '127.0.0.1:50051')
  .description('run the speech server as a process of its own (its engines: the config\'s first embedded speech engine); dialers reach it as {kind: grpc, address}')
  .action(async (o: { listen: string }) => {
    const stop = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
    await serveSpeech(config(), { listen: o.listen, signal: stop.signal, out });
  });

const contacts = program.command('contacts').description('contact lists of the campaigns in the registry');
contacts
  .command('import')
  .argument('<file>', 'contact list (CSV: UTF-8 or Windows-1251, commas or semicolons; see README)')
  .requiredOption('--campaign <id>', 'the campaign to add the contacts to, as `zvonar load` printed it')
  .description('add contacts to a campaign: every good row, each bad one reported with its line; importing a file again changes nothing')
  .action(async (file: string, o: { campaign: string }) => {
    const r = await runContactsImport(config(), file, { campaignId: o.campaign, progress: (l) => process.stderr.write(`${l}\n`) });
    for (const l of r.lines) out(l);
  });

const bookings = program.command('bookings').description('visits booked in the clinic\'s MIS');
bookings
  .command('import')
  .argument('<file>', 'CSV: external_id, resource, specialty, starts_at (clinic time "2026-12-10 09:00"), minutes, status (booked|cancelled)')
  .requiredOption('--campaign <id>', 'the reminder campaign (warm) each booking enrols its patient in')
  .option('--before-minutes <n>', 'the reminder is due this long before the visit', '1440')
  .option('--min-lead-minutes <n>', 'no reminder for a visit closer than this', '180')
  .description('book the MIS\'s visits in the registry and enrol their reminders; a cancelled row withdraws its reminder; importing again changes nothing')
  .action(async (file: string, o: { campaign: string; beforeMinutes: string; minLeadMinutes: string }) => {
    for (const l of await runBookingsImport(config(), file, { campaignId: o.campaign, beforeMinutes: Number(o.beforeMinutes), minLeadMinutes: Number(o.minLeadMinutes) })) out(l);
  });

const campaign = program.command('campaign').description('what is in the registry for a campaign');
campaign
  .command('status')
  .argument('<campaign-id>', 'the campaign, as `zvonar load` printed it')
  .description('contacts by state, what holds the open ones back, attempts by disposition, bookings, calls per hour')
  .option('--at <time>', 'as of this moment (ISO 8601, e.g. 2026-12-08T09:00:00Z; default: now)')
  .action(async (id: string, o: { at?: string }) => {
    const now = o.at ? new Date(o.at) : new Date();
    if (Number.isNaN(now.getTime())) throw new ZvonarError('USAGE', `--at "${o.at}" is not a time such as 2026-12-08T09:00:00Z`, {});
    for (const l of await campaignStatus(config(), { campaignId: id, now })) out(l);
  });
campaign
  .command('simulate')
  .argument('<campaign-file>', 'campaign file (YAML), as for zvonar load')
  .description('replay the campaign on a simulated clock through the dialer\'s own rules: when it would finish, the calls it needs, who it never reaches')
  .requiredOption('--from <date>', 'first day, e.g. 2026-12-07 (from 00:00 UTC)')
  .option('--days <n>', 'days to simulate', '14')
  .option('--answer-rate <p>', 'share of calls a person answers', '0.45')
  .option('--contacts <file>', 'contact list (CSV) instead of the one the campaign file names')
  .option('--do-not-call <file>', 'the clinic\'s do-not-call list: a number per line')
  .option('--out <file>', 'one JSON line per attempt: {"contact", "at", "outcome"}')
  .action(async (file: string, o: { from: string; days: string; answerRate: string; contacts?: string; out?: string; doNotCall?: string }) => {
    const lines = await runSimulate(config(), {
      file, from: o.from, days: Number(o.days), answerRate: Number(o.answerRate), contacts: o.contacts, outFile: o.out, doNotCall: o.doNotCall,
    });
    for (const l of lines) out(l);
  });
for (const action of ['pause', 'resume', 'stop'] as const) {
  campaign
    .command(action)
    .argument('<campaign-id>', 'the campaign')
    .description({ pause: 'start no new calls until resumed (calls in progress end as they would)', resume: 'dial a paused campaign again', stop: 'end the campaign for good: no new calls, ever' }[action])
    .action(async (id: string) => out(await controlCampaign(config(), { campaignId: id, action })));
}
campaign
  .command('export')
  .argument('<campaign-id>', 'the campaign, as `zvonar load` printed it')
  .description('attempts, bookings or the call-back list, for the clinic\'s MIS (holds patient data)')
  .addOption(new Option('--what <rows>', 'what to export').choices(Object.keys(EXPORTS)).makeOptionMandatory())
  .addOption(new Option('--format <format>', 'CSV (UTF-8 with BOM, for Excel) or a JSON array').choices(EXPORT_FORMATS).default('csv'))
  .option('--out <file>', 'write to this file (created readable by its owner only) instead of stdout')
  .action(async (id: string, o: { what: ExportWhat; format: ExportFormat; out?: string }) => {
    await runExport(config(), { campaignId: id, what: o.what, format: o.format, outFile: o.out, write });
  });

// Tools for supervisors: one command group for the dialog scripts they write.
const dialog = program.command('dialog').description('dialog scripts: check, schema, graph, intents, test');

dialog
  .command('check')
  .argument('<dialog-files...>', 'dialog scripts (YAML)')
  .description('check dialog scripts: every problem as file:line:col: message [CODE]; exit 1 if any')
  .action((files: string[]) => {
    // every file is checked, and every problem of each reported, before the exit says how it went
    let failed = 0;
    for (const f of files) {
      try {
        const s = checkScript(f);
        out(`${f}: ok (${s.id} v${s.version}, ${Object.keys(s.steps).length} steps)`);
      } catch (err) {
        const e = toZvonarError(err);
        if (e.code === 'INTERNAL' || !e.where.file) fail(err);
        out(e.describe());
        failed++;
      }
    }
    if (failed) process.exit(1);
  });

dialog
  .command('schema')
  .description('print the dialog language as JSON Schema, for editors')
  .action(() => {
    out(JSON.stringify(scriptJsonSchema(), null, 2));
  });

dialog
  .command('graph')
  .argument('<dialog-file>', 'a dialog script (YAML)')
  .addOption(new Option('--format <format>', 'Mermaid text, or a self-contained SVG picture').choices(GRAPH_FORMATS).default('mermaid'))
  .description('draw the script: its steps, where each answer leads, the safe defaults')
  .action((file: string, o: { format: (typeof GRAPH_FORMATS)[number] }) => {
    out(scriptGraph(file, o.format));
  });

dialog
  .command('intents')
  .argument('[dialog-file]', 'a dialog script: what its step --step hears (without: the built-in library)')
  .option('--step <step>', 'the listen step of the script')
  .addOption(new Option('--lang <lang>', 'the built-in library\'s language (without a file)').choices(['ru', 'en']))
  .option('--audio', 'read WAV file paths (8 or 16 kHz mono) instead, heard through the configured speech engines with the step\'s grammar; adds "transcript" and "confirm"', false)
  .description('read utterances one per line on stdin, print one JSON line each: {"text","intent","confidence","slots"}')
  .action(async (file: string | undefined, o: { step?: string; lang?: string; audio: boolean }) => {
    if (o.audio) {
      if (!file || !o.step) throw new ZvonarError('USAGE', '--audio needs a dialog file and --step STEP', {});
      const cfg = config(process.env.ZVONAR_LOG_LEVEL ? {} : { level: 'warn' });
      const ears = await audioIntents(cfg, { file, step: o.step, log: createLogger(cfg.log.level) });
      try {
        for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          const wav = line.trim();
          if (wav === '') continue;
          const r = await ears.hear(wav);
          out(JSON.stringify({ file: r.file, text: r.transcript ?? '', transcript: r.transcript, intent: r.intent, confidence: Math.round(r.confidence * 100) / 100, slots: r.slots, confirm: r.confirm }));
        }
      } finally {
        await ears.close();
      }
      return;
    }
    const matcher = intentsOf({ file, step: o.step, lang: o.lang });
    for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      const r = matcher.match(text);
      out(JSON.stringify({ text, intent: r.intent, confidence: Math.round(r.confidence * 100) / 100, slots: r.slots }));
    }
  });

dialog
  .command('test')
  .argument('[suites...]', 'suites of simulated callees (YAML; default: dialogs/tests/*.yaml of the installed package)')
  .description('run each case of each suite as a simulated call: one line per case, each failed expectation as file:line:col, a summary; exit 1 if any fails')
  .action(async (files: string[]) => {
    const r = await runDialogTests({ files, dir: join(pkg().root, 'dialogs/tests') }, out);
    if (r.failed || r.unreadable) process.exit(1);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0); // --help, --version
    const message = err.code === 'commander.help' ? 'no command given (see the list above)' : err.message.replace(/^error: /, '');
    fail(new ZvonarError('USAGE', message, {}, { hint: 'see zvonar --help' }));
  }
  fail(err);
});

function isDebugLevel(level: string | undefined): boolean {
  return level === 'debug' || level === 'trace';
}

function readJson(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown }) : undefined;
  } catch {
    return undefined; // a broken package.json on the way up is not ours
  }
}

/** The installed package (its root and version): the default files are found there, not in the working directory. */
function pkg(): { root: string; version: string } {
  if (installed) return installed;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; dirname(dir) !== dir; dir = dirname(dir)) {
    const json = readJson(join(dir, 'package.json'));
    if (json?.name === 'zvonar') return (installed = { root: dir, version: String(json.version) });
  }
  throw new ConfigError('CONFIG_NOT_FOUND', `no package.json named "zvonar" above ${start}`, { path: start }, {
    hint: 'reinstall zvonar: its package.json, config/ and dialogs/ ship next to dist/',
  });
}
