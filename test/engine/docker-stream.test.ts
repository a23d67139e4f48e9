import { demuxDockerStream } from '../../harness/engine/docker-stream.js';

function frame(stream: number, text: string): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

describe('demuxDockerStream', () => {
  it('splits stdout and stderr frames in order', () => {
    const buffer = Buffer.concat([frame(1, 'a'), frame(2, 'err'), frame(1, 'b\n')]);
    expect(demuxDockerStream(buffer)).toEqual({ stdout: 'ab\n', stderr: 'err' });
  });
  it('ignores a truncated trailing header', () => {
    expect(demuxDockerStream(Buffer.concat([frame(1, 'x'), Buffer.from([1, 0, 0])]))).toEqual({
      stdout: 'x',
      stderr: '',
    });
  });
});
