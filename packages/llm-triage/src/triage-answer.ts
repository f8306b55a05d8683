import * as z from 'zod/mini';

/** The name of the tool (Anthropic) or response format (OpenAI) the model answers through. */
export const ANSWER_NAME = 'record_triage_decision';

const MAX_REASONS = 6;
const MAX_REASON_CHARS = 300;
const MAX_QUESTION_CHARS = 1000;

/**
 * What the model must answer, as JSON Schema. Every property is required and nullable where it may be
 * absent, which is what OpenAI's strict mode demands and reads the same to any other provider.
 */
export function answerJsonSchema(routeNames: readonly string[]) {
  return {
    type: 'object',
    properties: {
      route: {
        type: ['string', 'null'],
        enum: [...routeNames, null],
        description: 'The name of one configured route, or null when none of them fits.',
      },
      confidence: {
        type: 'number',
        minimum: 0,
        maximum: 1,
        description: 'How sure you are that a coding agent can finish the work as written, 0 to 1.',
      },
      question: {
        type: ['string', 'null'],
        description: 'The single most useful question to ask the author, or null when nothing needs asking.',
      },
      reasons: {
        type: 'array',
        items: { type: 'string' },
        description: 'Short reasons for the decision, one per entry.',
      },
    },
    required: ['route', 'confidence', 'question', 'reasons'],
    additionalProperties: false,
  } as const;
}

/** The answer as it must arrive; anything else is malformed and the rules decide instead. */
export const modelAnswerSchema = z.object({
  route: z.nullable(z.string()),
  confidence: z.number().check(z.minimum(0), z.maximum(1)),
  question: z.pipe(
    z.nullish(z.string()),
    z.transform((question) => question?.trim().slice(0, MAX_QUESTION_CHARS) || undefined),
  ),
  reasons: z.pipe(
    z.array(z.string()),
    z.transform((reasons) =>
      reasons
        .map((reason) => reason.trim().slice(0, MAX_REASON_CHARS))
        .filter(Boolean)
        .slice(0, MAX_REASONS),
    ),
  ),
});

export type ModelAnswer = z.output<typeof modelAnswerSchema>;

/** The first few zod issues as `path: message`, short enough for a decision's reasons. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'answer'}: ${issue.message}`)
    .join('; ');
}
