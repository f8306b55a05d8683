import {
  createFactory,
  DefaultTaskTemplate,
  type FactorySettingsInput,
  InMemoryStateStore,
  type OutputChangedEvent,
  type OutputState,
  RuleTriage,
  resolveSettings,
  type WorkItem,
  type WorkItemProvider,
} from '@software-factory/sdk';
import {
  FakeClarificationChannel,
  FakeClock,
  FakeFleet,
  FakeOutputTarget,
  MemoryLogger,
} from '@software-factory/sdk/testing';

/**
 * The core's `createFactory` around one real tracker provider (talking to its loopback server), with the
 * other ports faked: enough to drive dispatch, review and completion through the real pipeline.
 */
export function coreOverTracker(
  workItems: WorkItemProvider,
  options: { repository: string; settings?: FactorySettingsInput },
) {
  const tenant = 'acme';
  const clock = new FakeClock(Date.parse('2026-01-01T12:00:00.000Z'));
  const store = new InMemoryStateStore();
  const fleet = new FakeFleet();
  const template = new DefaultTaskTemplate();
  const outputs = new FakeOutputTarget();
  const settings = resolveSettings({
    routes: [{ name: 'app', match: { labels: ['factory'] }, repository: options.repository, agent: 'coder' }],
    ...options.settings,
  });
  const factory = createFactory({
    tenant,
    settings,
    ports: {
      store,
      workItems,
      clarifications: new FakeClarificationChannel(),
      outputs,
      fleet,
      triage: new RuleTriage(settings.routes),
      template,
      clock,
      logger: new MemoryLogger(),
    },
  });
  return {
    tenant,
    clock,
    store,
    fleet,
    factory,
    /** The pull request the agent opened for `item`, in `state`. */
    output(item: WorkItem, state: OutputState): OutputChangedEvent {
      const snapshot = {
        id: `${options.repository}#7`,
        url: `https://github.com/${options.repository}/pull/7`,
        state,
        branch: template.branchName(item),
        title: `${item.key}: ${item.title}`,
      };
      outputs.outputs.set(snapshot.id, { ...snapshot, repository: options.repository });
      return { type: 'output.changed', output: snapshot };
    },
  };
}
