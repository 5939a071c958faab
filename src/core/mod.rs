//! The signature core: keys, signing, the URL candidates a signature is
//! checked against, form bodies and the signature settings header. Plain
//! functions over strings and bytes, with no Tower and no server in them;
//! the layer ([`crate::validate`]) and HTTP authentication ([`crate::auth`])
//! are built on it.

pub(crate) mod candidates;
pub(crate) mod error;
pub(crate) mod fields;
pub(crate) mod form;
pub(crate) mod querystring;
pub(crate) mod secret;
pub(crate) mod settings;
pub(crate) mod sign;
pub(crate) mod signature;
pub(crate) mod target;
pub(crate) mod validator;
pub(crate) mod whatwg;
