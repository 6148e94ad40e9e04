import { describe, expect, it } from 'vitest';
import { answerQuery } from './dns.js';

/** A one-question query as resolvers send it: ID 0x1234, RD set, QCLASS IN. */
function query(name: string, type: number): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([header, ...labels, tail]);
}

const records = (name: string) => (name === 'alice.agents.example.test' ? '10.79.0.10' : undefined);

describe('the lab DNS answer', () => {
  it('answers an A query for a record with its address, names matched case-insensitively', () => {
    const answer = answerQuery(query('Alice.Agents.Example.Test', 1), records)!;
    expect(answer.readUInt16BE(0)).toBe(0x1234);
    expect(answer[3]! & 0x0f).toBe(0);
    expect(answer.readUInt16BE(6)).toBe(1);
    expect([...answer.subarray(-4)]).toEqual([10, 79, 0, 10]);
  });

  it('says NXDOMAIN for an unknown name and answers nothing for another type of a known one', () => {
    expect(answerQuery(query('bob.agents.example.test', 1), records)![3]! & 0x0f).toBe(3);
    const aaaa = answerQuery(query('alice.agents.example.test', 28), records)!;
    expect(aaaa[3]! & 0x0f).toBe(0);
    expect(aaaa.readUInt16BE(6)).toBe(0);
  });

  it('ignores what is not a query', () => {
    const reply = query('alice.agents.example.test', 1);
    reply[2] = 0x81;
    expect(answerQuery(reply, records)).toBeUndefined();
    expect(answerQuery(Buffer.alloc(5), records)).toBeUndefined();
  });
});
