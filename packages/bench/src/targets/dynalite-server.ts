// dynalite in its own process, so the benchmark's CPU figures hold the client's work only (as on AWS,
// where DynamoDB is somebody else's machine). It is the AWS tests' dynalite with TransactWriteItems
// added (see that file for what it does and does not do). Prints {"port":…} once listening; exits when
// stdin closes.
import type { AddressInfo } from 'node:net';
import { transactingDynalite } from '../../../aws/test/support/transacting-dynalite.ts';

const server = transactingDynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
