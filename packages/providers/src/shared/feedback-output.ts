import type { OutputFeedbackEvent, OutputSnapshot } from '@software-factory/sdk';

/** The output a feedback event names, from the output as the code host's API read it. */
export function feedbackOutput(output: OutputSnapshot): OutputFeedbackEvent['output'] {
  return {
    id: output.id,
    url: output.url,
    ...(output.branch ? { branch: output.branch } : {}),
    ...(output.title ? { title: output.title } : {}),
    // No body: the branch and title name the item, and a feedback event stays small.
  };
}
