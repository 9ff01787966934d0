import assert from 'node:assert/strict';
import { isLoopbackHost, normaliseHost, normaliseToken } from '../../../src/api/host';
import { fileNameFromDisposition, labelQuery } from '../../../src/api/client';
import { serverMessageFromBody } from '../../../src/api/errors';
import { retryAfterSeconds } from '../../../src/api/transport';

describe('host and token normalisation', () => {
  it('normalises hosts as the official client does', () => {
    assert.equal(normaliseHost('api.ubiops.com'), 'https://api.ubiops.com/v2.1');
    assert.equal(normaliseHost(' https://api.ubiops.com/ '), 'https://api.ubiops.com/v2.1');
    assert.equal(normaliseHost('https://api.ubiops.com/v2.1/'), 'https://api.ubiops.com/v2.1');
    assert.equal(normaliseHost('https://ubiops.example.com/api/v2.1'), 'https://ubiops.example.com/api/v2.1');
    assert.equal(normaliseHost('http://127.0.0.1:8765'), 'http://127.0.0.1:8765/v2.1');
    assert.equal(normaliseHost('https://onprem.example.com/v3'), 'https://onprem.example.com/v3');
  });

  it('refuses hosts that are not http(s) URLs, with a message that says what to enter', () => {
    assert.throws(() => normaliseHost(''), /empty.*https:\/\/api\.ubiops\.com/);
    assert.throws(() => normaliseHost('ftp://x.example.com'), /must use https/);
    assert.throws(() => normaliseHost('https://user:pw@x.example.com'), /user name or password/);
  });

  it('strips a pasted Token prefix, once or twice, in any case', () => {
    assert.equal(normaliseToken('Token abc123'), 'abc123');
    assert.equal(normaliseToken('  token   Token abc123 '), 'abc123');
    assert.equal(normaliseToken('abc123'), 'abc123');
    assert.equal(normaliseToken('Tokenized'), 'Tokenized');
  });

  it('knows which hosts are on this machine', () => {
    assert.ok(isLoopbackHost('localhost'));
    assert.ok(isLoopbackHost('127.0.0.2'));
    assert.ok(isLoopbackHost('[::1]'));
    assert.ok(!isLoopbackHost('api.ubiops.com'));
    assert.ok(!isLoopbackHost('127.0.0.1.example.com'));
  });
});

describe('wire details', () => {
  it('writes label filters as k:v pairs', () => {
    assert.equal(labelQuery({ team: 'ml', stage: 'prod' }), 'team:ml,stage:prod');
    assert.equal(labelQuery({}), undefined);
    assert.equal(labelQuery(' a:b '), 'a:b');
  });

  it('reads file names from Content-Disposition, never with a folder part', () => {
    const names: [string | undefined, string | undefined][] = [
      ['attachment; filename="env.zip"', 'env.zip'],
      ['attachment; filename="../../etc/passwd"', 'passwd'],
      ['attachment; filename="C:\\\\temp\\\\x.zip"', 'x.zip'],
      ["attachment; filename*=UTF-8''my%20env.zip", 'my env.zip'],
      ['attachment; filename=".."', undefined],
      ['attachment', undefined],
      [undefined, undefined],
    ];
    for (const [header, name] of names) assert.equal(fileNameFromDisposition(header), name, header);
  });

  it('finds the server message under error, error_message or detail', () => {
    const messages: [string, string | undefined][] = [
      ['{"error": "Name taken"}', 'Name taken'],
      ['{"error_message": "Bad zip"}', 'Bad zip'],
      ['{"detail": "Not found."}', 'Not found.'],
      ['{"name": ["This field is required."]}', 'name: This field is required.'],
      ['<html>502 Bad Gateway</html>', undefined],
      ['upstream timed out', 'upstream timed out'],
    ];
    for (const [body, message] of messages) assert.equal(serverMessageFromBody(body), message, body);
  });

  it('waits as Retry-After or x-ratelimit-reset say, plus a second for the reset', () => {
    assert.equal(retryAfterSeconds({ 'retry-after': '7' }, 429), 7);
    assert.equal(retryAfterSeconds({ 'x-ratelimit-reset': '12' }, 429), 13);
    assert.equal(retryAfterSeconds({}, 429), 60);
    assert.equal(retryAfterSeconds({}, 503), undefined);
    // eslint-disable-next-line no-restricted-properties -- an HTTP date is a wall-clock time
    const inFiveSeconds = new Date(Date.now() + 5000).toUTCString();
    const wait = retryAfterSeconds({ 'retry-after': inFiveSeconds }, 503)!;
    assert.ok(wait > 3 && wait <= 5, `waits about 5 s, got ${wait}`);
  });
});
