import { Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.ts';
import { FLEET_EXAMPLE } from '../onboarding/requirements.ts';
import { fetchWorkItem, runOneItem, scopeVerdict } from '../operator/one-item.ts';
import { renderDecision, renderItem, renderOutcome, renderPlan } from '../operator/one-item-text.ts';
import { chosenTenant, type OperatorOptions, withOperatorRuntime } from '../operator/operator-runtime.ts';

interface DispatchOptions extends OperatorOptions {
  dryRun?: boolean;
  json?: boolean;
}

export function dispatchCommand(): Command {
  return new Command('dispatch')
    .description('triage one work item and act on it now: comment, ask, or start an agent')
    .argument('<item>', 'the work item: its key (ENG-12), id or URL')
    .option('-c, --config <file>', 'the config file (default: ./factory.config.yaml)')
    .option('--tenant <id>', 'the tenant, when the config has several')
    .option(
      '--dry-run',
      'print every write it would make (comments, question, agent and its task) and make none',
    )
    .option('--json', 'print JSON for machines')
    .action(async (ref: string, options: DispatchOptions) => {
      const dryRun = options.dryRun === true;
      const run = await withOperatorRuntime(options, async (runtime) => {
        const tenant = chosenTenant(runtime, options);
        if (!dryRun && !runtime.config.tenants.find((config) => config.id === tenant.runtime.id)?.fleet)
          throw new CliError(
            `tenant ${tenant.runtime.id} has no fleet to start an agent on: add ${FLEET_EXAMPLE} (or pass --dry-run)`,
            EXIT_USAGE,
          );
        const item = await fetchWorkItem(tenant, ref);
        return { ...(await runOneItem(tenant, item, { dryRun })), outside: scopeVerdict(tenant, item) };
      });
      const { item, decision, result, outside } = run;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify(
            {
              item: { id: item.id, key: item.key, title: item.title, url: item.source.url },
              dryRun,
              insideScope: outside === undefined,
              decision,
              outcome: result.outcome,
              reason: result.reason,
              transitions: result.transitions,
              effects: result.effects,
              ...(dryRun ? { plan: result.plan ?? [] } : {}),
              ...(result.error ? { error: result.error } : {}),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const lines = [renderItem(item)];
        if (outside) lines.push(`safety gate: ${outside}; the factory will not touch it`);
        if (decision) lines.push(...renderDecision(decision));
        if (dryRun) lines.push(...renderPlan(result.plan ?? []));
        lines.push(...renderOutcome(result));
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (result.outcome === 'incomplete') process.exitCode = EXIT_FAILURE;
    });
}
