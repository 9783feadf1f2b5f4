//! Dispatches gRPC requests to services by their `/<package>.<Service>/` path prefix.
//!
//! tonic's own router lives behind its `router` feature, which brings in a whole web
//! framework (axum) for what is a prefix match over four services; this is that match.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::NamedService;
use tower::util::BoxCloneService;
use tower::{Service, ServiceExt};

type Request = http::Request<Body>;
type Response = http::Response<Body>;
type BoxedService = BoxCloneService<Request, Response, Infallible>;

/// The services of one server, each under its gRPC name.
#[derive(Clone, Default)]
pub struct GrpcRoutes {
    services: Vec<(String, BoxedService)>,
}

impl GrpcRoutes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a generated tonic server (anything with a [`NamedService`] name).
    pub fn add<S>(mut self, service: S) -> Self
    where
        S: Service<Request, Response = Response, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
    {
        self.services
            .push((format!("/{}/", S::NAME), BoxCloneService::new(service)));
        self
    }

    fn find(&self, path: &str) -> Option<&BoxedService> {
        self.services
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .map(|(_, s)| s)
    }
}

impl Service<Request> for GrpcRoutes {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Readiness is checked per call, on the service the request is routed to.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self.find(req.uri().path()) {
            Some(service) => Box::pin(service.clone().oneshot(req)),
            None => {
                let status = tonic::Status::unimplemented(format!(
                    "no gRPC service serves {}",
                    req.uri().path()
                ));
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Named(&'static str);
    impl NamedService for Named {
        const NAME: &'static str = "test.Echo";
    }
    impl Service<Request> for Named {
        type Response = Response;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _req: Request) -> Self::Future {
            let tag = self.0;
            Box::pin(async move {
                Ok(http::Response::builder()
                    .header("x-tag", tag)
                    .body(Body::empty())
                    .unwrap())
            })
        }
    }

    fn req(path: &str) -> Request {
        http::Request::builder()
            .uri(path)
            .body(Body::empty())
            .unwrap()
    }

    #[tokio::test]
    async fn routes_by_service_name_and_answers_unimplemented_otherwise() {
        let routes = GrpcRoutes::new().add(Named("echo"));
        let hit = routes.clone().oneshot(req("/test.Echo/Say")).await.unwrap();
        assert_eq!(hit.headers()["x-tag"], "echo");
        // A service whose name merely starts the same is not this one.
        let miss = routes.oneshot(req("/test.EchoMore/Say")).await.unwrap();
        assert_eq!(miss.headers()["grpc-status"], "12"); // UNIMPLEMENTED
    }
}
