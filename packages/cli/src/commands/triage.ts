import { Command } from 'commander';
import { decideDirectly, fetchWorkItem, runOneItem, scopeVerdict } from '../operator/one-item.ts';
import { renderDecision, renderItem } from '../operator/one-item-text.ts';
import { chosenTenant, type OperatorOptions, withOperatorRuntime } from '../operator/operator-runtime.ts';

interface TriageOptions extends OperatorOptions {
  json?: boolean;
}

export function triageCommand(): Command {
  return new Command('triage')
    .description('show how the factory would triage one work item, and why; writes nothing')
    .argument('<item>', 'the work item: its key (ENG-12), id or URL')
    .option('-c, --config <file>', 'the config file (default: ./factory.config.yaml)')
    .option('--tenant <id>', 'the tenant, when the config has several')
    .option('--json', 'print JSON for machines')
    .action(async (ref: string, options: TriageOptions) => {
      const output = await withOperatorRuntime(options, async (runtime) => {
        const tenant = chosenTenant(runtime, options);
        const item = await fetchWorkItem(tenant, ref);
        // A dry run through the core applies the safety gate and readiness exactly as a webhook would.
        const run = await runOneItem(tenant, item, { dryRun: true });
        const outside = scopeVerdict(tenant, item);
        const decision = outside ? undefined : (run.decision ?? (await decideDirectly(tenant, item)));
        return { item, outside, decision, wouldDo: outside ?? run.result.reason };
      });
      const { item, outside, decision, wouldDo } = output;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ item: { id: item.id, key: item.key, title: item.title, url: item.source.url }, insideScope: !outside, decision, wouldDo }, null, 2)}\n`,
        );
        return;
      }
      const lines = [renderItem(item)];
      if (outside) lines.push(`safety gate: ${wouldDo}; the factory will not touch it`);
      else {
        lines.push('safety gate: inside the opt-in scope');
        if (decision) lines.push(...renderDecision(decision));
        lines.push(`the factory would: ${wouldDo}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
