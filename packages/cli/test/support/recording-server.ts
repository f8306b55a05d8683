import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export type Answer = (request: RecordedRequest, response: ServerResponse) => void;

/**
 * An HTTP server on 127.0.0.1 that records every request and answers with `answer` (500 until a test
 * sets one): what stands at `--remote` when a test is about the CLI's side of the call.
 */
export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  answer: Answer;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const recording: RecordingServer = {
    url: '',
    requests: [],
    answer: (_request, response) => json(response, 500, { error: 'no answer set' }),
    close: async () => {},
  };
  const server = createServer(async (message: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of message) chunks.push(chunk as Buffer);
    const request: RecordedRequest = {
      method: message.method ?? '',
      path: message.url ?? '',
      authorization: message.headers.authorization,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    recording.requests.push(request);
    recording.answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recording.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  recording.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return recording;
}

/** Answers JSON with `status` and optional headers. */
export function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
