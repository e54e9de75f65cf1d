import { randomUUID } from 'node:crypto';
import type { Mailbox } from '../model.js';
import type {
  MailboxPatch,
  MailboxStore,
  SecretStore,
} from '../store/ports.js';
import type { MailboxInput } from './validate-mailbox.js';

/** A mailbox as the API shows it: no password, no secret name. */
export type MailboxView = Omit<Mailbox, 'secretName'>;

/** Stores the mailbox service uses. */
export interface MailboxServiceStores {
  mailboxes: MailboxStore;
  secrets: SecretStore;
  /** Builds the secret's name for a mailbox id. */
  secretNameFor(mailboxId: string): string;
}

/**
 * Admin operations on mailboxes. The password goes only to the secret
 * store; the mailbox record keeps the secret's name.
 */
export class MailboxService {
  /** @param stores mailbox store, secret store and secret naming */
  constructor(private readonly stores: MailboxServiceStores) {}

  /**
   * Creates a mailbox and its secret. A duplicate server + account is a
   * ConflictError before any secret is written.
   *
   * @param input the checked request
   * @param now creation time
   * @returns the new mailbox
   */
  async create(input: MailboxInput, now: Date): Promise<MailboxView> {
    const { password, ...fields } = input;
    const id = randomUUID();
    const secretName = this.stores.secretNameFor(id);
    const mailbox = await this.stores.mailboxes.create(
      { ...fields, id, secretName },
      now,
    );
    try {
      await this.stores.secrets.putPassword(secretName, password);
    } catch (error) {
      await this.stores.mailboxes.delete(id);
      throw error;
    }

    return toView(mailbox);
  }

  /**
   * @param id the mailbox id
   * @returns the mailbox, or undefined
   */
  async get(id: string): Promise<MailboxView | undefined> {
    const mailbox = await this.stores.mailboxes.get(id);

    return mailbox && toView(mailbox);
  }

  /** @returns every mailbox, by name */
  async list(): Promise<MailboxView[]> {
    const mailboxes = await this.stores.mailboxes.list();

    return mailboxes
      .map(toView)
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /**
   * Changes a mailbox; a new password replaces the secret's value.
   *
   * @param id the mailbox id
   * @param change the checked patch and optional new password
   * @param now change time
   * @returns the changed mailbox
   */
  async update(
    id: string,
    change: { patch: MailboxPatch; password?: string },
    now: Date,
  ): Promise<MailboxView> {
    const mailbox = await this.stores.mailboxes.update(id, change.patch, now);
    if (change.password !== undefined) {
      await this.stores.secrets.putPassword(
        mailbox.secretName,
        change.password,
      );
    }

    return toView(mailbox);
  }

  /**
   * Removes a mailbox and its secret. Its incidents stay.
   *
   * @param id the mailbox id
   */
  async delete(id: string): Promise<void> {
    const mailbox = await this.stores.mailboxes.delete(id);
    await this.stores.secrets.deletePassword(mailbox.secretName);
  }
}

function toView(mailbox: Mailbox): MailboxView {
  const { secretName: _secretName, ...view } = mailbox;

  return view;
}
