// Logs are JSON, and secrets never reach them.
import { Writable } from 'node:stream';
import { createLogger } from '../common/logger';

test('secret-bearing fields are redacted', () => {
  const lines: string[] = [];
  const log = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  log.info(
    {
      config: {
        entra: { clientSecret: 'cs-123456' },
        mail: { smtpUrl: 'smtp://u:pw-123456@relay' },
        database: { url: 'postgres://u:db-123456@h/x' },
      },
      auth: { secrets: ['whsec_abc123456'] },
      req: { headers: { authorization: 'Bearer tok-123456', 'webhook-signature': 'v1,sig-123456' } },
      result: { secretText: 'st-123456' },
    },
    'something happened',
  );
  const text = lines.join('');
  expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'something happened', level: 30 });
  for (const secret of [
    'cs-123456',
    'pw-123456',
    'db-123456',
    'whsec_abc123456',
    'tok-123456',
    'sig-123456',
    'st-123456',
  ]) {
    expect(text).not.toContain(secret);
  }
  expect(text).toContain('[redacted]');
});
