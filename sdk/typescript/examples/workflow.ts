// A welcome email two days after a contact signs up: a template and a workflow that sends it.

import { Loop, type WorkflowStep } from "@loop/sdk";

export async function welcomeSeries(loop: Loop): Promise<string> {
  const template = await loop.emailTemplates.create({
    name: "Welcome",
    subject: "Welcome, {{ contact.firstName | default('there') }}",
    html: "<p>Glad you are here. <a href='{{ unsubscribeUrl }}'>Unsubscribe</a></p>",
  });
  const steps: WorkflowStep[] = [
    { type: "wait", seconds: 2 * 24 * 3600 },
    { type: "email", templateId: template.id },
  ];
  const workflow = await loop.workflows.create({ name: "Welcome series", trigger: { eventName: "signup" }, steps });
  await loop.contactEvents.create({ email: "jane@example.com", eventName: "signup" });
  for await (const run of loop.workflows.listRuns(workflow.id)) {
    console.log(run.contact.email, run.status, run.steps.map((s) => s.status).join(" → "));
  }
  return workflow.id;
}
