"""Words for matching checklist items to checks: folded, Portuguese mapped to English, stemmed.

Used by ``--readiness-suggest`` (suggest.py). The stop list drops what every checklist says
and no check is about: filler, status verbs ("configured", "enabled", "tested") and severity
words; a check is matched on the words that tell it apart from the others.
"""

from __future__ import annotations

import re

from pytest_readiness.checklist.text import fold

# One step of mapping: Portuguese -> English, plural or inflected -> the form checks use.
_SYNONYMS = {
    "postgresql": "postgres", "obrigatorio": "required", "obrigatoria": "required", "pg": "postgres", "banco": "database", "dados": "data",
    "versao": "version", "monitoramento": "monitor", "monitoring": "monitor",
    "habilitado": "enabled", "configurado": "configured", "seguranca": "security",
    "certificado": "certificate", "certificados": "certificate", "certificates": "certificate",
    "cert": "certificate", "certs": "certificate", "replicas": "replica", "tls": "ssl",
    "https": "ssl", "k8s": "kubernetes", "limites": "limit", "senha": "password",
    "senhas": "password", "replicacao": "replication", "replicated": "replication",
    "ha": "replication", "criptografia": "encryption", "cifrado": "encrypted",
    "metricas": "metric", "metrics": "metric", "alertas": "alert", "alerts": "alert",
    "alerting": "alert", "rede": "network", "politicas": "policy", "politica": "policy",
    "policies": "policy", "recursos": "resource", "saude": "health",
    "implantacao": "deployment", "armazenamento": "storage", "segredos": "secret",
    "secrets": "secret", "registros": "log", "logs": "log", "logging": "log", "copia": "backup",
    "backups": "backup", "conexoes": "connection", "conexao": "connection", "usuarios": "user",
    "usuario": "user", "sondas": "probe", "probes": "probe", "persistencia": "persistence",
    "configurada": "configured", "configurados": "configured", "configuradas": "configured",
    "habilitada": "enabled", "habilitados": "enabled", "ativado": "enabled",
    "ativada": "enabled", "verificado": "verified", "testado": "tested", "testados": "tested",
    "documentado": "documented", "disponibilidade": "availability", "latencia": "latency",
    "fila": "queue", "scanned": "scan", "scanning": "scan", "scans": "scan", "images": "image",
    "manifests": "manifest", "limits": "limit", "quotas": "quota", "dashboards": "dashboard",
    "expiry": "expire", "expires": "expire", "expiration": "expire", "indexes": "index",
    "indices": "index", "vulnerabilities": "vulnerability", "vuln": "vulnerability",
    "cve": "vulnerability", "cves": "vulnerability", "nonroot": "root", "readonly": "ro",
}  # fmt: skip

_STOP = frozenset(
    " ".join(
        (
            # English and Portuguese filler
            "a an and are as at be by com da das de do dos e em for from has in is it its like no na nao "
            "not o of on only or os own para per than that the this to um uma under with all any each "
            "every none few come show check checks test "
            # status verbs and judgements every checklist uses and no check is about
            "enabled configured configuration active verified tested documented implemented defined "
            "deployed performed optimized properly appropriately normal expected production added "
            "created established working running complete completed setup within acceptable stored "
            "managed management initiated open validated enforced "
            # context that names no check
            "traffic load custom business logic environment encrypted encryption critical high",
        )
    ).split()
)
_WORD = re.compile(r"[a-z0-9]+")
# "PostgreSQL 15+", "NATS 2.9+", ">= 1.24": a minimum version is asked for ("(50+)" and
# "≥ 80%" are not versions).
_VERSION = re.compile(r"(?:>=|≥)\s*v?\d+\.\d|[A-Za-z]\s+v?\d+(?:\.\d+)*\+")

#: A check whose words name one of these technologies is suggested only when the item or its
#: section names it too (or a word that implies it).
CONTEXT = {
    "postgre": frozenset({"postgre", "database", "db", "sql", "rds"}),
    "redi": frozenset({"redi", "cache"}),
    "nats": frozenset({"nats", "jetstream", "broker", "messaging", "message"}),
    "kubernete": frozenset(
        {"kubernete", "pod", "container", "cluster", "namespace", "deployment", "manifest"}
        | {"helm", "workload", "rbac", "node"}
    ),
    "grafana": frozenset({"grafana", "dashboard"}),
}


def words(text: str) -> frozenset[str]:
    """Folded words, Portuguese mapped to English, plural ``s`` dropped, stop words removed."""
    found = {_stem(w) for w in _WORD.findall(fold(text))}
    if _VERSION.search(text):
        found |= {"version", "minimum"}
    return frozenset(w for w in found if w not in _STOP and len(w) > 1 and not w.isdigit())


def _stem(word: str) -> str:
    word = _SYNONYMS.get(_SYNONYMS.get(word, word), _SYNONYMS.get(word, word))
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word
