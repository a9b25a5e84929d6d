"""Throw-away certificates for the TLS tests: a CA, a server certificate
for 127.0.0.1 and a client certificate, as PEM files in a directory."""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, ca=False, usage=None, ip=None):
    now = datetime.datetime.utcnow()
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                              critical=True))
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]),
                                        critical=False)
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


def make(directory):
    """{name: path} of ca, server_cert, server_key, client_cert,
    client_key, other_ca (a CA that signed none of them)."""
    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def pem_key(k):
        return k.private_bytes(serialization.Encoding.PEM,
                               serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())

    def pem(c):
        return c.public_bytes(serialization.Encoding.PEM)

    ca_key, other_key, server_key, client_key = key(), key(), key(), key()
    ca = _cert('test-ca', ca_key, 'test-ca', ca_key, ca=True)
    other = _cert('other-ca', other_key, 'other-ca', other_key, ca=True)
    server = _cert('api', server_key, 'test-ca', ca_key,
                   usage=ExtendedKeyUsageOID.SERVER_AUTH, ip='127.0.0.1')
    client = _cert('conductor', client_key, 'test-ca', ca_key,
                   usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    files = {'ca': pem(ca), 'other_ca': pem(other), 'server_cert': pem(server),
             'server_key': pem_key(server_key), 'client_cert': pem(client),
             'client_key': pem_key(client_key)}
    return {name: _write(os.path.join(directory, name + '.pem'), data)
            for name, data in files.items()}
