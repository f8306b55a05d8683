import { providerRegistry } from '@software-factory/providers/registry';
import { Document } from 'yaml';
import { chosenEntries, DEFAULTS, type InitAnswers } from './init-answers.ts';

/** The header of a written config: the editor's schema, and where secrets come from. */
function header(answers: InitAnswers): string {
  const variables = chosenEntries(answers).flatMap((entry) => entry.secrets.map((secret) => secret.env));
  const lines = [
    ' yaml-language-server: $schema=./node_modules/@software-factory/cli/factory.config.schema.json',
    ' Written by `factory init`. A provider written as its name alone takes its defaults; secrets are never',
    ' written here: they come from environment variables, by reference.',
  ];
  if (variables.length > 0)
    lines.push(
      ` These providers read ${[...new Set(variables)].join(', ')} when set.`,
      ' A token not set there is the one `factory connect <provider>` stored in the encrypted',
      ' .factory/credentials.enc (key: FACTORY_CREDENTIALS_KEY or FACTORY_CREDENTIALS_KEY_FILE).',
    );
  return lines.join('\n');
}

/**
 * The `factory.config.yaml` for the answers: one tenant at the top level, each provider in its shortest
 * form (its bare name when the answers are its defaults), secrets by their default references only.
 */
export function configYaml(answers: InitAnswers): string {
  const config: Record<string, unknown> = {
    tenant: answers.tenant,
    intentProvider: withAgentMode(providerBlock(answers.intent, answers), answers),
    clarificationChannel: providerBlock(answers.channel, answers),
    outputTarget: providerBlock(answers.output, answers),
    ...(answers.fleet
      ? { fleet: { type: answers.fleet, command: answers.agentCommand, repository: answers.repository } }
      : {}),
    // The safety gate: only items with the ready label are ever dispatched.
    scope: { labels: [answers.readyLabel] },
    ...(answers.route
      ? {
          routes: [
            {
              name: answers.route.split('/')[1],
              match: { labels: [answers.readyLabel] },
              repository: answers.route,
              agent: answers.agent,
            },
          ],
        }
      : {}),
    limits: { maxInFlight: answers.maxInFlight },
  };
  const document = new Document(config);
  document.commentBefore = header(answers);
  return document.toString({ lineWidth: 0 });
}

/**
 * Linear's agent-session channel asks in the sessions Linear opens for its app user, which exist only
 * when the intake runs in agent mode: choosing it sets that mode, so the written config loads.
 */
function withAgentMode(
  block: string | Record<string, unknown>,
  answers: InitAnswers,
): string | Record<string, unknown> {
  if (answers.channel !== 'linear-agent' || answers.intent !== 'linear') return block;
  return { ...(typeof block === 'string' ? { type: block } : block), mode: 'agent' };
}

/** A provider as the answers configure it: its name alone, or `{ type, … }` with what differs. */
function providerBlock(type: string, answers: InitAnswers): string | Record<string, unknown> {
  const entry = providerRegistry.get(type);
  const fields: Record<string, unknown> = {};
  for (const question of entry?.setup?.questions ?? []) {
    const answer = answers.provider[question.flag];
    if (answer !== undefined) fields[question.field] = question.value ? question.value(answer) : answer;
  }
  if (answers.readyLabel !== DEFAULTS.readyLabel && entry?.setup?.readyLabel)
    Object.assign(fields, entry.setup.readyLabel(answers.readyLabel));
  return Object.keys(fields).length === 0 ? type : { type, ...fields };
}
