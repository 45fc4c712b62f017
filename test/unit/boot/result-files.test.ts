import { describe, expect, it } from 'vitest';
import { failingCases, failingJunitCases, failingTapCases } from '../../../src/boot/result-files.js';

describe('result files a boot test leaves', () => {
  it('names the JUnit test cases with a failure or an error', () => {
    const xml = `<?xml version="1.0"?>
<testsuites><testsuite name="s">
  <testcase classname="net" name="dns"/>
  <testcase classname="net" name="http &amp; tls"><failure message="refused">boom</failure></testcase>
  <testcase name='plain'>
    <error type="x"/>
  </testcase>
  <testcase classname="skip" name="later"><skipped/></testcase>
  <testcase><failure/></testcase>
</testsuite></testsuites>`;
    expect(failingJunitCases(xml)).toEqual(['net.http & tls', 'plain', '(unnamed)']);
    expect(failingJunitCases('<testsuite/>')).toEqual([]);
  });

  it('names the TAP lines that are not ok, except TODO and SKIP', () => {
    const tap = [
      'TAP version 13',
      '1..6',
      'ok 1 - first',
      'not ok 2 - second # comment',
      'not ok 3 - third # TODO later',
      'not ok 4 # skip no network',
      'not ok 5 - has \\# hash',
      '    not ok 1 - nested',
      'not ok',
    ].join('\n');
    expect(failingTapCases(tap)).toEqual(['2 second', '5 has \\# hash', '1 nested', 'not ok']);
  });

  it('prefixes each case with its file, reading each file by its kind', () => {
    expect(
      failingCases([
        { file: 'junit.xml', lines: ['<testcase name="a"><failure/></testcase>'] },
        { file: 'results.tap', lines: ['not ok 1 - b'] },
      ]),
    ).toEqual(['junit.xml: a', 'results.tap: 1 b']);
  });

  it('reads escaped names, spaced closing tags, and passes a case without a body', () => {
    const xml = [
      '<testcase name="&lt;a&gt; &quot;b&quot; &apos;c&apos; &amp;amp;"><failure/></testcase >',
      '<testcase name="ok"></testcase>',
      '<testcase name="empty"/>',
    ].join('\n');
    expect(failingJunitCases(xml)).toEqual([`<a> "b" 'c' &amp;`]);
  });

  it('reads TAP strictly: only lines that start with not ok, directives only first after the #', () => {
    const tap = [
      'ok 1 - says not ok inside',
      '# not ok 2 - a comment',
      'not ok 3 -dash   ',
      'not ok 4 - reason # because of a todo',
      'not ok 5 - x # Skipped on purpose',
      'not ok 6 - y #todo',
    ].join('\n');
    expect(failingTapCases(tap)).toEqual(['3 dash', '4 reason']);
    expect(failingCases([{ file: 'a.tap', lines: ['not ok 1 - one', 'not ok 2 - two'] }])).toEqual([
      'a.tap: 1 one',
      'a.tap: 2 two',
    ]);
  });
});
