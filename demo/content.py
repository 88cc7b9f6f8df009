"""Demo knowledge in several languages (issue 21 §3): the two public printer articles in German, French and
Spanish, published, so that ``jonas`` (German) finds them in German in the portal's help and suggestions
while an English reader finds the originals. Written through the knowledge services: each translation has
its own number, lifecycle and published version. Loaded after ``load_knowledge_demo``; a second call adds
nothing.

The demo's survey questions are in the catalogues (demo/surveys.py), so they read in every shipped language.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from knowledge.models import Article, Status, Visibility
from knowledge.services.articles import article_transition, article_translate, article_update

FIELDS = ("title", "symptoms", "cause", "workaround", "resolution")

# original title → language → (title, symptoms, cause, workaround, resolution)
TRANSLATIONS: dict[str, dict[str, tuple[str, str, str, str, str]]] = {
    "Printer shows a paper jam but there is no paper": {
        "de": (
            "Drucker meldet Papierstau, aber es ist kein Papier da",
            "Der Drucker meldet Papierstau; kein Papier zu sehen; Aufträge bleiben in der Warteschlange",
            "Ein Papierschnipsel hinter der hinteren Klappe oder ein verschmutzter Sensor.",
            "Auf dem nächsten Drucker im Stockwerk drucken.",
            "Hintere Klappe und Duplexeinheit öffnen, Schnipsel entfernen, Sensor reinigen.",
        ),
        "fr": (
            "L'imprimante signale un bourrage papier alors qu'il n'y a pas de papier",
            "L'imprimante affiche un bourrage ; aucun papier visible ; les travaux restent en file",
            "Un morceau de papier derrière la porte arrière ou un capteur encrassé.",
            "Imprimer sur l'imprimante voisine du même étage.",
            "Ouvrir la porte arrière et l'unité recto verso, retirer les morceaux, nettoyer le capteur.",
        ),
        "es": (
            "La impresora indica un atasco de papel pero no hay papel",
            "La impresora muestra un atasco de papel; no se ve papel; los trabajos se quedan en la cola",
            "Un trozo de papel detrás de la puerta trasera o un sensor sucio.",
            "Imprimir en la impresora más cercana de la misma planta.",
            "Abrir la puerta trasera y la unidad dúplex, retirar los trozos de papel y limpiar el sensor.",
        ),
    },
    "Print jobs stuck in the queue": {
        "de": (
            "Druckaufträge hängen in der Warteschlange",
            "Dokumente warten in der Druckwarteschlange und werden nie gedruckt",
            "Der Druckspooler hängt.",
            "Als PDF drucken und an eine Kollegin oder einen Kollegen schicken.",
            "Den Druckspooler auf dem Druckserver neu starten; die hängenden Aufträge löschen.",
        ),
        "fr": (
            "Travaux d'impression bloqués dans la file d'attente",
            "Les documents attendent dans la file d'impression et ne s'impriment jamais",
            "Le spouleur d'impression est bloqué.",
            "Imprimer en PDF et l'envoyer à un collègue.",
            "Redémarrer le spouleur sur le serveur d'impression ; supprimer les travaux bloqués.",
        ),
        "es": (
            "Trabajos de impresión atascados en la cola",
            "Los documentos esperan en la cola de impresión y nunca se imprimen",
            "El administrador de impresión (spooler) se ha bloqueado.",
            "Imprimir en PDF y enviarlo a un compañero.",
            "Reiniciar el spooler en el servidor de impresión; borrar los trabajos atascados.",
        ),
    },
}


def load_content_demo() -> int:
    """Publish the translations of the public printer articles; returns how many were made."""
    publisher = get_user_model().objects.filter(username="incidentmgr").first()
    if publisher is None:
        return 0
    made = 0
    originals = Article.objects.filter(
        title__in=list(TRANSLATIONS),
        translation_of__isnull=True,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
    )
    for original in originals:
        for language, texts in TRANSLATIONS[original.title].items():
            if original.translations.filter(language=language).exists():
                continue
            article = article_translate(actor=publisher, article=original, language=language)
            article = article_update(
                actor=publisher, article=article, data=dict(zip(FIELDS, texts, strict=True))
            )
            article = article_transition(actor=publisher, article=article, action="submit")
            article_transition(actor=publisher, article=article, action="publish")
            made += 1
    return made
