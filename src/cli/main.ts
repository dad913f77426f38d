import { Command } from 'commander';
import { ZvonarError } from '../core/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { checkScript, runDemo, runEngine, runLoad, runMigrate, scriptJsonSchema } from '../app/index.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

const program = new Command()
  .name('zvonar')
  .description('Outbound voice-robot dialer for clinics')
  .option('-c, --config <file>', 'configuration file', 'config/default.yaml');

const config = (over: Partial<Config['log']> = {}): Config => {
  const cfg = loadConfig(program.opts<{ config: string }>().config);
  return { ...cfg, log: { ...cfg.log, ...over } };
};

program
  .command('demo')
  .description('run a sample campaign against simulated callees (embedded registry and speech server)')
  .option('--campaign <file>', 'campaign file', 'config/demo-campaign.yaml')
  .option('--data <dir>', 'folder of the demo registry (PGlite); emptied at start', './data/demo')
  .action(async (o: { campaign: string; data: string }) => {
    const cfg = config(process.env.ZVONAR_LOG_LEVEL ? {} : { level: 'warn' });
    await runDemo({ ...cfg, database: { ...cfg.database, dataDir: o.data } }, { campaignFile: o.campaign, out });
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
  .description('dial an active campaign until stopped')
  .option('--campaign <id>', 'campaign id (default: the only active one)')
  .option('--dialogs <dir>', 'folder of dialog scripts', 'dialogs')
  .option('--until-idle', 'stop when nothing is due now', false)
  .action(async (o: { campaign?: string; dialogs: string; untilIdle: boolean }) => {
    const stop = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
    await runEngine(config(), { campaignId: o.campaign, dialogsDir: o.dialogs, untilIdle: o.untilIdle, signal: stop.signal, out });
  });

program
  .command('check')
  .argument('<dialog-files...>', 'dialog scripts (YAML)')
  .description('check dialog scripts: schema, step names, outcomes, placeholders')
  .action((files: string[]) => {
    for (const f of files) {
      const s = checkScript(f);
      out(`${f}: ok (${s.id} v${s.version}, ${Object.keys(s.steps).length} steps)`);
    }
  });

program
  .command('dialog-schema')
  .description('print the dialog language as JSON Schema, for editors')
  .action(() => {
    out(JSON.stringify(scriptJsonSchema(), null, 2));
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ZvonarError) {
    process.stderr.write(`zvonar: ${err.describe()}\n`);
    process.exit(2);
  }
  process.stderr.write(`zvonar: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
