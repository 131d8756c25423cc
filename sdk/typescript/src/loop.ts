// The client: one object per API key, with a resource per group of `/v1` routes.

import { HttpClient, type ClientOptions } from "./http.js";
import { AccountResource, DashboardLinksResource, IntegrationsResource, StripeIntegrationResource } from "./resources/account.js";
import { ContactEventsResource, ContactsResource } from "./resources/audience.js";
import { AgreementsResource, ItemsResource, TransfersResource } from "./resources/commerce.js";
import { EmailsResource, EmailTemplatesResource, TransactionalResource, WorkflowsResource } from "./resources/email.js";
import { CheckoutSessionsResource, PaymentLinksResource } from "./resources/payments.js";
import { TestCheckoutSessionsResource, TestHelpersResource, TestTransfersResource } from "./resources/test-helpers.js";
import { EventsResource, WebhookEndpointsResource } from "./resources/webhooks.js";

export type LoopOptions = ClientOptions;

export class Loop {
  readonly account: AccountResource;
  readonly integrations: IntegrationsResource;
  readonly dashboardLinks: DashboardLinksResource;
  readonly paymentLinks: PaymentLinksResource;
  readonly checkoutSessions: CheckoutSessionsResource;
  readonly webhookEndpoints: WebhookEndpointsResource;
  readonly events: EventsResource;
  readonly contacts: ContactsResource;
  readonly contactEvents: ContactEventsResource;
  readonly emailTemplates: EmailTemplatesResource;
  readonly workflows: WorkflowsResource;
  readonly transactional: TransactionalResource;
  readonly emails: EmailsResource;
  readonly items: ItemsResource;
  readonly transfers: TransfersResource;
  readonly agreements: AgreementsResource;
  /** Test-mode keys only. */
  readonly testHelpers: TestHelpersResource;

  constructor(options: LoopOptions) {
    const http = new HttpClient(options);
    this.account = new AccountResource(http);
    this.integrations = new IntegrationsResource(new StripeIntegrationResource(http));
    this.dashboardLinks = new DashboardLinksResource(http);
    this.paymentLinks = new PaymentLinksResource(http);
    this.checkoutSessions = new CheckoutSessionsResource(http);
    this.webhookEndpoints = new WebhookEndpointsResource(http);
    this.events = new EventsResource(http);
    this.contacts = new ContactsResource(http);
    this.contactEvents = new ContactEventsResource(http);
    this.emailTemplates = new EmailTemplatesResource(http);
    this.workflows = new WorkflowsResource(http);
    this.transactional = new TransactionalResource(http);
    this.emails = new EmailsResource(http);
    this.items = new ItemsResource(http);
    this.transfers = new TransfersResource(http);
    this.agreements = new AgreementsResource(http);
    this.testHelpers = new TestHelpersResource(new TestCheckoutSessionsResource(http), new TestTransfersResource(http));
  }
}
