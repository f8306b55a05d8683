/**
 * Starts every note the factory writes (an HTML comment: invisible when rendered), so that its own notes
 * are told from people's feedback.
 */
export const GITLAB_NOTE_MARKER = '<!-- factory:comment';
