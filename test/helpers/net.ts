// A port on 127.0.0.1 that nothing listens on right now, for a daemon a test starts (sshd,
// slurmctld): the kernel picks it, we close it and hand the number on.
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
