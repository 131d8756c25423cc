//! The checkout function's routes: the account's reads, Stripe, webhooks, events, commerce,
//! payment links and sessions, and the customer's pages. Nothing here reaches the email code.

use http::Method;

use super::{
    account, checkout, commerce, dashboard_links, endpoints, events, integrations, page, payments, test_helpers,
    Answer, Route, Service, OPENAPI,
};
use crate::edge::HttpFunction;
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_ground::error::ApiError;
use loop_ground::http::Request;

pub(crate) struct Checkout;

impl Service for Checkout {
    const FUNCTION: HttpFunction = HttpFunction::Checkout;

    fn public<'a>(app: &'a App, route: Route<'a>, request: &'a Request) -> Option<Answer<'a>> {
        let method = request.method();
        Some(match route {
            Route::OpenApi if method == Method::GET => Box::pin(async {
                let mut response = http::Response::new(bytes::Bytes::from_static(OPENAPI.as_bytes()));
                let json = http::HeaderValue::from_static("application/json");
                response.headers_mut().insert(http::header::CONTENT_TYPE, json);
                Ok(response)
            }),
            Route::SubmitPayment(payable) => Box::pin(async move {
                payments::allowed(method, true)?;
                payments::submit(app, payable, request).await
            }),
            Route::PaymentStatus(payable) => Box::pin(async move {
                payments::allowed(method, false)?;
                payments::status(app, payable).await
            }),
            Route::PayPage(token) => Box::pin(async move {
                payments::allowed(method, false)?;
                page::render_pay_token(app, token).await
            }),
            // The customer's page: public, no API key.
            Route::CheckoutPage(id) => Box::pin(async move {
                match *method {
                    Method::GET | Method::HEAD => page::render(app, id).await,
                    _ => Err(ApiError::MethodNotAllowed { allowed: route.allowed() }),
                }
            }),
            _ => return None,
        })
    }

    fn dispatch<'a>(app: &'a App, caller: Caller, route: Route<'a>, request: &'a Request) -> Answer<'a> {
        Box::pin(async move {
            if matches!(route, Route::ProcessTransfer(_) | Route::FinishSession(..)) && request.method() == Method::POST
            {
                require_test_mode(&caller)?;
            }
            match (route, request.method().clone()) {
                (Route::Account, Method::GET) => Ok(account::get(&caller)),
                (Route::StripeIntegration, Method::GET) => integrations::get(app, &caller).await,
                (Route::StripeIntegration, Method::PUT) => integrations::put(app, caller, request).await,
                (Route::StripeConnect, Method::POST) => integrations::connect(app, caller, request).await,
                (Route::DashboardLinks, Method::POST) => dashboard_links::create(app, &caller, request).await,
                (Route::Events, Method::GET) => events::list(app, &caller, request).await,
                (Route::Event(id), Method::GET) => events::get(app, &caller, id).await,
                (Route::Attempts(id), Method::GET) => events::attempts(app, &caller, id, request).await,
                (Route::Redeliver(id), Method::POST) => events::redeliver(app, &caller, id, request).await,
                (Route::ProcessTransfer(id), Method::POST) => {
                    test_helpers::process_transfer(app, &caller, id, request).await
                }
                (Route::PaymentLinks, Method::GET) => checkout::list_payment_links(app, &caller, request).await,
                (Route::PaymentLinks, Method::POST) => checkout::create_payment_link(app, &caller, request).await,
                (Route::PaymentLink(id), Method::GET) => checkout::get_payment_link(app, &caller, id).await,
                (Route::PaymentLink(id), Method::PATCH) => {
                    checkout::update_payment_link(app, &caller, id, request).await
                }
                (Route::Sessions, Method::GET) => checkout::list_sessions(app, &caller, request).await,
                (Route::Sessions, Method::POST) => checkout::create_session(app, &caller, request).await,
                (Route::Session(id), Method::GET) => checkout::get_session(app, &caller, id).await,
                (Route::FinishSession(id, to), Method::POST) => checkout::finish_session(app, &caller, id, to).await,
                (Route::Endpoints, Method::GET) => endpoints::list(app, &caller, request).await,
                (Route::Endpoints, Method::POST) => endpoints::create(app, &caller, request).await,
                (Route::Endpoint(id), Method::GET) => endpoints::get(app, &caller, id).await,
                (Route::Endpoint(id), Method::PATCH) => endpoints::update(app, &caller, id, request).await,
                (Route::Endpoint(id), Method::DELETE) => endpoints::delete(app, &caller, id).await,
                (Route::RotateSecret(id), Method::POST) => endpoints::rotate_secret(app, &caller, id).await,
                (Route::Items, Method::GET) => commerce::list_items(app, &caller, request).await,
                (Route::Item(id), Method::GET) => commerce::get_item(app, &caller, id).await,
                (Route::Transfers, Method::GET) => commerce::list_transfers(app, &caller, request).await,
                (Route::Transfer(id), Method::GET) => commerce::get_transfer(app, &caller, id).await,
                (Route::Agreements, Method::GET) => commerce::list_agreements(app, &caller, request).await,
                (Route::Agreement(id), Method::GET) => commerce::get_agreement(app, &caller, id).await,
                (route, _) => Err(ApiError::MethodNotAllowed { allowed: route.allowed() }),
            }
        })
    }
}

fn require_test_mode(caller: &Caller) -> Result<(), ApiError> {
    if caller.test_mode {
        Ok(())
    } else {
        Err(ApiError::Permission {
            code: "test_mode_only",
            message: "Test helpers need a test-mode API key (lk_test_…).".into(),
        })
    }
}
