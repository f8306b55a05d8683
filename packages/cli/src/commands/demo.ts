import { Command } from 'commander';
import { runDemo } from '../demo/run-demo.ts';

export function demoCommand(): Command {
  return new Command('demo')
    .description('run the whole pipeline offline on three sample work items, in a few seconds')
    .option(
      '--dir <dir>',
      'where the demo keeps its folder, repository and state (default: a new temporary folder)',
    )
    .action(async (options: { dir?: string }) => {
      process.exitCode = await runDemo(options);
    });
}
