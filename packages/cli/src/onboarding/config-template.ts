// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config holds ${ENV_VAR} references literally.
import { Document } from 'yaml';
import type { InitAnswers } from './init-answers.ts';

const HEADER = [
  ' yaml-language-server: $schema=./node_modules/@software-factory/cli/factory.config.schema.json',
  ' Written by `factory init`. Secrets appear only as ${ENV_VAR} references: set those variables in the',
  ' environment of `factory start`. Tokens left out are stored by `factory connect <provider>` in the',
  ' encrypted .factory/credentials.enc (key: FACTORY_CREDENTIALS_KEY or FACTORY_CREDENTIALS_KEY_FILE).',
].join('\n');

/** The `factory.config.yaml` for the answers: one tenant at the top level, secrets by reference only. */
export function configYaml(answers: InitAnswers): string {
  const config: Record<string, unknown> = {
    tenant: answers.tenant,
    intentProvider: intake(answers),
    clarificationChannel: channel(answers),
    outputTarget: output(answers),
    fleet: { type: 'local', command: answers.agentCommand, repository: answers.repository },
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
  document.commentBefore = HEADER;
  return document.toString({ lineWidth: 0 });
}

function intake(answers: InitAnswers): Record<string, unknown> {
  switch (answers.intent) {
    case 'linear':
      return {
        type: 'linear',
        transport: 'direct',
        webhookSecret: '${LINEAR_WEBHOOK_SECRET}',
        requiredLabels: [answers.readyLabel],
      };
    case 'jira':
      return {
        type: 'jira',
        siteUrl: answers.jiraSite,
        ...(answers.jiraEmail ? { email: answers.jiraEmail } : {}),
        // `factory connect` has no Jira sign-in yet: an API token (with email) or an OAuth token.
        token: '${JIRA_API_TOKEN}',
        webhookSecret: '${JIRA_WEBHOOK_SECRET}',
      };
    case 'github-issues':
      return {
        type: 'github-issues',
        repositories: [{ repository: answers.issuesRepo }],
        readyLabel: answers.readyLabel,
        webhookSecret: '${GITHUB_WEBHOOK_SECRET}',
      };
  }
}

function channel(answers: InitAnswers): Record<string, unknown> {
  if (answers.channel === 'comments') return { type: 'comments' };
  return {
    type: 'slack',
    transport: 'direct',
    channel: answers.slackChannel,
    signingSecret: '${SLACK_SIGNING_SECRET}',
  };
}

function output(answers: InitAnswers): Record<string, unknown> {
  if (answers.output === 'gitlab')
    return {
      type: 'gitlab',
      ...(answers.gitlabUrl ? { baseUrl: answers.gitlabUrl } : {}),
      token: '${GITLAB_TOKEN}',
      webhookSecret: '${GITLAB_WEBHOOK_SECRET}',
    };
  return { type: 'github', transport: 'direct', webhookSecret: '${GITHUB_WEBHOOK_SECRET}' };
}
