import type { AgentAttempt, FeedbackLine, ItemHistory } from '../status/item-history.ts';
import { dashboardFrame, duration, escapeHtml, externalLink, itemPath, timeTag } from './dashboard-html.ts';

const LINK_NAMES: [keyof ItemHistory['links'], string][] = [
  ['trackerItem', 'tracker item'],
  ['thread', 'thread'],
  ['pullRequest', 'pull request'],
  ['agentLog', 'agent log'],
  ['trace', 'trace'],
];

function section(id: string, title: string, body: string): string {
  return `<section id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${escapeHtml(title)}</h2>${body}</section>`;
}

function attemptRow(attempt: AgentAttempt, now: number): string {
  return `<tr data-attempt="${attempt.number}"><td>${attempt.number}</td><td>${attempt.run}</td><td>${escapeHtml(attempt.agentId ?? '–')}</td><td>${timeTag(attempt.startedAt, now)}</td><td>${attempt.durationMs === undefined ? `running ${duration(now - attempt.startedAt)}` : duration(attempt.durationMs)}</td><td>${attempt.exitCode ?? '–'}</td><td>${escapeHtml(attempt.outcome)}</td><td>${escapeHtml(attempt.reason ?? '')}</td></tr>`;
}

function feedbackList(lines: FeedbackLine[], now: number): string {
  if (lines.length === 0) return '<p class="empty">none</p>';
  return `<ul>${lines.map((line) => `<li>${timeTag(line.at, now)} <b>${escapeHtml(line.kind)}</b> from ${escapeHtml(line.from)}: ${escapeHtml(line.text)} ${externalLink(line.url, line.url ? 'open' : '')}</li>`).join('')}</ul>`;
}

/** The item's live content: who it is, where it links, and everything its record remembers. */
export function renderItem(item: ItemHistory, now: number): string {
  const links = LINK_NAMES.flatMap(([name, text]) => {
    const url = item.links[name];
    return url ? [`<li data-link="${name}">${externalLink(url, text)}</li>`] : [];
  }).join('');
  const labels = item.labels.length ? ` · labels ${escapeHtml(item.labels.join(', '))}` : '';
  const parts = [
    `<p><span class="status" data-status="${escapeHtml(item.status)}">${escapeHtml(item.status)}</span>: ${escapeHtml(item.reason)} · run ${item.run}${item.route ? ` · route ${escapeHtml(item.route)}` : ''}${labels} · first seen ${timeTag(item.createdAt, now)} · changed ${timeTag(item.updatedAt, now)}</p>`,
    `<ul class="links" aria-label="links">${links || '<li class="empty">no links yet</li>'}</ul>`,
  ];
  if (item.clarification) {
    const wait = item.clarification;
    const answers = wait.answers.length
      ? `<ol class="answers">${wait.answers.map((answer) => `<li>${timeTag(answer.at, now)} <b>${escapeHtml(answer.author)}</b> answered: <blockquote>${escapeHtml(answer.text)}</blockquote></li>`).join('')}</ol>`
      : '<p class="empty">no answer yet</p>';
    parts.push(
      section(
        'clarification',
        'Question and answer',
        `<p>Asked ${timeTag(wait.askedAt, now)} (round ${wait.rounds}); the wait ends ${timeTag(wait.expiresAt, now)}.</p><blockquote class="question">${escapeHtml(wait.question)}</blockquote>${answers}`,
      ),
    );
  }
  parts.push(
    section(
      'attempts',
      'Agent attempts',
      item.attempts.length
        ? `<table><thead><tr>${['#', 'run', 'agent', 'started', 'duration', 'exit code', 'outcome', 'reason'].map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${item.attempts.map((attempt) => attemptRow(attempt, now)).join('')}</tbody></table>`
        : '<p class="empty">no agent has worked on it</p>',
    ),
  );
  if (item.feedback)
    parts.push(
      section(
        'feedback',
        'Feedback rounds',
        `<p>${item.feedback.rounds} round(s)${item.feedback.stopped ? `; stopped: ${escapeHtml(item.feedback.stopped)}` : ''}.</p><h3>Given to the agent</h3>${feedbackList(item.feedback.given, now)}<h3>Waiting for the next round</h3>${feedbackList(item.feedback.waiting, now)}`,
      ),
    );
  parts.push(
    section(
      'output',
      'Output',
      item.output
        ? `<p>${externalLink(item.output.url, item.output.url)} · ${escapeHtml(item.output.state)}</p>`
        : '<p class="empty">none yet</p>',
    ),
  );
  parts.push(
    section(
      'timeline',
      'Every transition',
      `<ol class="timeline">${item.transitions.map((entry) => `<li data-to="${escapeHtml(entry.to)}">${timeTag(entry.at, now)} ${escapeHtml(entry.from ?? '·')} → <b>${escapeHtml(entry.to)}</b> ${escapeHtml(entry.reason)} <span class="ev">(${escapeHtml(entry.event)})</span></li>`).join('')}</ol>`,
    ),
  );
  parts.push(
    section(
      'effects',
      'Effects not yet performed',
      item.pendingEffects.length
        ? `<ul>${item.pendingEffects.map((effect) => `<li><code>${escapeHtml(effect.kind)}</code> <span class="ev">${escapeHtml(effect.id)}</span></li>`).join('')}</ul>`
        : '<p class="empty">none: every effect of its transitions was performed</p>',
    ),
  );
  return parts.join('\n');
}

export function renderItemPage(item: ItemHistory, now: number, etag: string): string {
  return dashboardFrame({
    tenant: item.tenant,
    title: `${item.key} · ${item.title}`,
    view: 'item',
    poll: `${itemPath(item.tenant, item.workItemId)}/history.json`,
    etag,
    now,
    content: renderItem(item, now),
  });
}
