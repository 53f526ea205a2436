// TEST DOUBLE, not part of the gate. The stand-in ThingsBoard's plain MQTT port on 127.0.0.1:
// the connection registry, one session per device, CONNECT records and the test controls.

import { createServer, type Server, type Socket } from 'node:net';
import { MqttConnection, type ConnectRecord, type MqttHub } from './mqtt-connection.ts';
import type { ConnectReason } from './mqtt-auth.ts';
import type { Device, Store } from './store.ts';
import { listenOnLoopback } from './listen.ts';

/** MQTT 5 reason codes ThingsBoard sends when it ends a session itself. */
export const DisconnectReason = { sessionTakenOver: 0x8e, administrativeAction: 0x98 } as const;

export class MqttServer implements MqttHub {
  readonly store: Store;
  /** Every CONNECT received, in order. */
  readonly connects: ConnectRecord[] = [];
  /** Every TCP connection accepted, in order, with the packet types it sent. */
  readonly connections: MqttConnection[] = [];
  /** TCP connections accepted, and the most open at once. */
  readonly counters = { accepted: 0, open: 0, maxOpen: 0 };
  #server: Server;
  #port = 0;
  #silent = false;
  #proxyProtocol: boolean;
  #refusal: ConnectReason | undefined;
  #sessions = new Map<string, MqttConnection>();
  #open = new Set<MqttConnection>();

  constructor(store: Store, proxyProtocol = false) {
    this.store = store;
    this.#proxyProtocol = proxyProtocol;
    this.#server = createServer((socket) => this.#accept(socket));
    store.on('credentialsRevoked', (device) =>
      this.kickDevice(device.name, DisconnectReason.administrativeAction),
    );
  }

  get port(): number {
    return this.#port;
  }

  /** Listens on an ephemeral port the first time, on the same port after down(). */
  async up(): Promise<void> {
    if (this.#server.listening) return;

    this.#port = await listenOnLoopback(this.#server, this.#port);
  }

  /** Stops accepting TCP connections (they are refused); open sessions stay up. */
  async down(): Promise<void> {
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** While on, CONNECTs are recorded but never answered. */
  silent(on: boolean): void {
    this.#silent = on;
  }

  /** Whether new connections must start with a PROXY protocol header (v1 or v2). */
  proxyProtocol(on: boolean): void {
    this.#proxyProtocol = on;
  }

  /** Refuses every CONNECT with this reason (e.g. `server-unavailable`) until set to undefined. */
  refuseConnects(reason: ConnectReason | undefined): void {
    this.#refusal = reason;
  }

  /** Drops every open TCP connection at once, without DISCONNECT. */
  dropAll(): void {
    for (const connection of this.#open) connection.destroy();
  }

  /** Ends a device's live session, as a credentials change or deletion does. */
  kickDevice(name: string, reasonCode: number = DisconnectReason.administrativeAction): void {
    this.#sessions.get(name)?.kick(reasonCode);
    this.#sessions.delete(name);
  }

  /** The device's live session, if any. */
  session(name: string): MqttConnection | undefined {
    return this.#sessions.get(name);
  }

  async close(): Promise<void> {
    this.dropAll();
    await this.down();
  }

  isSilent(): boolean {
    return this.#silent;
  }

  forcedRefusal(): ConnectReason | undefined {
    return this.#refusal;
  }

  recordConnect(record: ConnectRecord): void {
    this.connects.push(record);
  }

  claimDevice(device: Device, connection: MqttConnection): void {
    const older = this.#sessions.get(device.name);
    this.#sessions.set(device.name, connection);

    if (older && older !== connection) older.kick(DisconnectReason.sessionTakenOver);
  }

  released(connection: MqttConnection): void {
    this.#open.delete(connection);
    this.counters.open = this.#open.size;

    const name = connection.device?.name;
    if (name && this.#sessions.get(name) === connection) this.#sessions.delete(name);
  }

  #accept(socket: Socket): void {
    const connection = new MqttConnection(
      this.connections.length + 1,
      socket,
      this,
      this.#proxyProtocol,
    );
    this.connections.push(connection);
    this.#open.add(connection);

    this.counters.accepted++;
    this.counters.open = this.#open.size;
    this.counters.maxOpen = Math.max(this.counters.maxOpen, this.counters.open);
  }
}
