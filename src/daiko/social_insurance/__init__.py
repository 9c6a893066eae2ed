"""Social-insurance paperwork (社会保険手続): procedures from life events to filed forms."""
