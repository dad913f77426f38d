import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../core/index.js';
import type { HubEvents, OperatorHub } from '../operator/index.js';
import { visibleTo, type Auth, type Principal } from './auth.js';

/**
 * The ws hub at /ws: what the console and the supervisor pages redraw from. A client proves who it
 * is at the upgrade (the session cookie, or a bearer token); anonymous ones get 401 and no socket.
 * An operator's socket signs them in to the hub (away until they say otherwise) and receives their
 * offers (the screen-pop, with the patient and the live transcript), withdrawals, the bridge's
 * start and end. Everyone receives the queue (patients masked but for the operator offered the
 * call) and, supervisors, the operators' presence. Actions go through the REST API.
 */
export function attachWsHub(server: Server, p: { auth: Auth; hub: OperatorHub; log: Logger }): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Map<WebSocket, Principal>();
  const { hub } = p;

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.destroy();
      return;
    }
    p.auth.who(req).then((who) => {
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, who));
    }, () => {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\n\r\nsign in first\n');
    });
  });

  const send = (ws: WebSocket, msg: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const state = (who: Principal) => ({
    type: 'state',
    me: who.account ? hub.operator(who.account.id) : null,
    queue: hub.queue().map((h) => visibleTo(who, h)),
    ...(who.role === 'supervisor' ? { operators: hub.operators() } : {}),
  });
  const toOperator = (operatorId: string | null, msg: unknown) => {
    for (const [ws, who] of clients) if (who.account?.id === operatorId) send(ws, msg);
  };

  function open(ws: WebSocket, who: Principal): void {
    clients.set(ws, who);
    if (who.role === 'operator' && who.account) hub.signIn(who.account);
    send(ws, { type: 'hello', login: who.account?.login ?? who.actor, name: who.account?.name ?? who.actor, role: who.role });
    send(ws, state(who));
    // an offer made before this console opened
    const offered = who.account && hub.queue().find((h) => h.operator === who.account!.id);
    if (offered) send(ws, { type: offered.state === 'connected' ? 'connected' : 'offer', handoff: offered });
    ws.on('message', () => {}); // the REST API takes actions; messages are ignored
    ws.on('close', () => {
      clients.delete(ws);
      if (who.account && ![...clients.values()].some((w) => w.account?.id === who.account!.id)) hub.signOut(who.account.id);
    });
    ws.on('error', (err) => p.log.debug({ error: err.message }, 'console socket error'));
  }

  const offs: (() => void)[] = [];
  const on = <E extends keyof HubEvents>(e: E, fn: (...args: HubEvents[E]) => void) => {
    (hub.on as (e: E, fn: (...args: HubEvents[E]) => void) => unknown)(e, fn);
    offs.push(() => (hub.off as (e: E, fn: (...args: HubEvents[E]) => void) => unknown)(e, fn));
  };
  let pending = false;
  on('changed', () => {
    // one redraw per turn of the loop, however many changes it made
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      for (const [ws, who] of clients) send(ws, state(who));
    });
  });
  on('offer', ({ operatorId, handoff }) => toOperator(operatorId, { type: 'offer', handoff }));
  on('withdrawn', ({ operatorId, handoffId, why }) => toOperator(operatorId, { type: 'withdrawn', handoffId, why }));
  on('line', ({ operatorId, handoffId, line }) => toOperator(operatorId, { type: 'line', handoffId, line }));
  on('connected', ({ operatorId, handoffId }) => toOperator(operatorId, { type: 'connected', handoff: hub.find(handoffId) ?? { id: handoffId } }));
  on('ended', ({ operatorId, handoffId, by }) => toOperator(operatorId, { type: 'ended', handoffId, by }));
  on('problem', ({ operatorId, message }) => toOperator(operatorId, { type: 'problem', message }));

  return {
    close() {
      for (const off of offs) off();
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
    },
  };
}
