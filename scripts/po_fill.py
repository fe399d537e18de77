"""Fill translations: scripts/po_fill.py LANG mapping.json (a JSON object msgid -> text)."""
import sys, json
from babel.messages.pofile import read_po, write_po
lang, mapping = sys.argv[1], json.load(open(sys.argv[2]))
p=f'app/translations/{lang}/LC_MESSAGES/messages.po'
cat=read_po(open(p,'rb'), locale=lang)
n=0
for m in cat:
    if m.id and m.id in mapping:
        m.string=mapping[m.id]; n+=1
write_po(open(p,'wb'), cat, omit_header=False, sort_output=True, no_location=True, width=100)
print("filled", n)
