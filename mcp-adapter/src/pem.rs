//! Root certificates from PEM, for the HTTP settings of either adapter.

use std::io;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// The certificates in a PEM file, as DER (what `HttpSettings::
/// root_certificates` takes). Other PEM sections (keys, say) are skipped; a
/// file without any certificate is an error.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, io::Error> {
    let mut out = Vec::new();
    for cert in CertificateDer::pem_slice_iter(pem) {
        match cert {
            Ok(cert) => out.push(cert.as_ref().to_vec()),
            Err(e) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("not a PEM certificate file: {e}"),
                ))
            }
        }
    }
    if out.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no certificate in the PEM data",
        ));
    }
    Ok(out)
}
