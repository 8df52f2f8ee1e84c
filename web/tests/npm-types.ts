// Type-checked (tsc --strict, module nodenext) in the project where the
// npm package was installed: the published types describe what an app
// writes. Not run; scripts/npm-test.sh runs npm-smoke.mjs.
import { Card, Client, HushError, Identity, ready, type Message } from 'hush-client';

export async function texts(url: string, card: string): Promise<string[]> {
  await ready();
  const me = Identity.generate('alice');
  const secret: string = me.secretHex();
  const client: Client = await Client.connect(url, { allowDev: true });
  const channel: string = client.channel;
  await client.send(me, Card.parse(card), 'hello');
  const inbox: Message[] = await client.inbox(me);
  try {
    await client.delete(me, inbox[0].id);
  } catch (e) {
    if (e instanceof HushError && e.kind === 'refused' && e.status === 'NotFound') return [secret];
    throw e;
  }
  return inbox.map((m) => `${m.from}: ${m.text} at ${m.time} over ${channel}`);
}
