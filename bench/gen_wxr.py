#!/usr/bin/env python3
"""Writes a WordPress export (WXR 1.2) of N stories for bench/import.sh, shaped like WordPress's own
(tests/fixtures/wordpress/export.xml): classic-editor and block-editor bodies of about 600 words, categories with
parents, tags, 40 authors, captions, galleries, embeds, featured images (the fixture's photos), drafts and pages.

    gen_wxr.py N OUT_DIR   → OUT_DIR/export.xml, OUT_DIR/uploads/
"""
import os, random, shutil, sys
from xml.sax.saxutils import escape

n, out = int(sys.argv[1]), sys.argv[2]
fixture = os.path.join(os.path.dirname(__file__), "..", "crates/newsdesk/tests/fixtures/wordpress/uploads")
random.seed(7)
os.makedirs(out, exist_ok=True)
shutil.rmtree(os.path.join(out, "uploads"), ignore_errors=True)
shutil.copytree(fixture, os.path.join(out, "uploads"))
photos = []
for month in ("2024/02", "2024/05", "2024/07"):
    for f in sorted(os.listdir(os.path.join(fixture, month))):
        if "x" not in f.rsplit("-", 1)[-1]:
            photos.append(f"{month}/{f}")
site = "https://bench.example.org"
words = ("harbour council ferry barrier tide marsh quay budget vote court school bridge rail fishing market "
         "storm flood library clinic housing rent wages port contract inquiry report minister residents").split()

def sentence():
    return " ".join(random.choice(words) for _ in range(random.randint(8, 18))).capitalize() + "."

def paragraph():
    return " ".join(sentence() for _ in range(4))

cdata = lambda s: "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"
items = []
att_ids = {}
next_id = 10
for p in photos:
    att_ids[p] = next_id
    items.append(f"""<item><title>{escape(p)}</title><link>{site}/?attachment_id={next_id}</link><dc:creator>{cdata('author0')}</dc:creator>
<guid isPermaLink="false">{site}/wp-content/uploads/{p}</guid><content:encoded>{cdata('')}</content:encoded><excerpt:encoded>{cdata('A caption for ' + p)}</excerpt:encoded>
<wp:post_id>{next_id}</wp:post_id><wp:post_date>{cdata('2024-01-01 10:00:00')}</wp:post_date><wp:post_date_gmt>{cdata('2024-01-01 10:00:00')}</wp:post_date_gmt>
<wp:post_name>{cdata(p.rsplit('/',1)[1].split('.')[0])}</wp:post_name><wp:status>{cdata('inherit')}</wp:status><wp:post_parent>0</wp:post_parent><wp:post_type>{cdata('attachment')}</wp:post_type>
<wp:attachment_url>{cdata(site + '/wp-content/uploads/' + p)}</wp:attachment_url>
<wp:postmeta><wp:meta_key>{cdata('_wp_attached_file')}</wp:meta_key><wp:meta_value>{cdata(p)}</wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key>{cdata('_wp_attachment_image_alt')}</wp:meta_key><wp:meta_value>{cdata('Photo ' + p)}</wp:meta_value></wp:postmeta></item>""")
    next_id += 1
cats = [("news", ""), ("harbour", "news"), ("courts", "news"), ("politics", ""), ("opinion", ""), ("sport", ""), ("culture", "")]
tags = [f"topic-{i}" for i in range(40)]
for i in range(n):
    pid = next_id + i
    day = 1 + i % 28
    month = 1 + (i // 28) % 12
    year = 2015 + (i // 336) % 10
    slug = f"story-{i}-" + "-".join(random.sample(words, 3))
    if i == 0:
        with open(os.path.join(out, "first-slug"), "w") as f:
            f.write(slug)
    photo = random.choice(photos)
    if i % 3 == 0:
        body = "".join(f"<!-- wp:paragraph -->\n<p>{paragraph()}</p>\n<!-- /wp:paragraph -->\n\n" for _ in range(6))
        body += f'<!-- wp:heading -->\n<h2 class="wp-block-heading">{sentence()}</h2>\n<!-- /wp:heading -->\n\n'
        body += f'<!-- wp:image {{"id":{att_ids[photo]}}} -->\n<figure class="wp-block-image size-large"><img src="{site}/wp-content/uploads/{photo}" alt="" class="wp-image-{att_ids[photo]}"/><figcaption class="wp-element-caption">{sentence()}</figcaption></figure>\n<!-- /wp:image -->\n\n'
        body += "".join(f"<!-- wp:paragraph -->\n<p>{paragraph()}</p>\n<!-- /wp:paragraph -->\n\n" for _ in range(6))
    else:
        body = "\n\n".join(paragraph() for _ in range(6))
        body += f'\n\n[caption id="attachment_{att_ids[photo]}" align="aligncenter" width="300"]<img src="{site}/wp-content/uploads/{photo}" alt="x" width="300" height="200" /> {sentence()}[/caption]\n\n'
        body += "\n\n".join(paragraph() for _ in range(6))
        if i % 10 == 1:
            body += "\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n"
    status = "draft" if i % 50 == 7 else "publish"
    cat = random.choice(cats)[0]
    its = [f'<category domain="category" nicename="{cat}">{cdata(cat.title())}</category>']
    its += [f'<category domain="post_tag" nicename="{t}">{cdata(t.replace("-", " ").title())}</category>' for t in random.sample(tags, 2)]
    items.append(f"""<item><title>{escape(sentence()[:90])}</title><link>{site}/{year}/{month:02}/{day:02}/{slug}/</link><dc:creator>{cdata('author' + str(i % 40))}</dc:creator>
<guid isPermaLink="false">{site}/?p={pid}</guid><content:encoded>{cdata(body)}</content:encoded><excerpt:encoded>{cdata(sentence())}</excerpt:encoded>
<wp:post_id>{pid}</wp:post_id><wp:post_date>{cdata(f'{year}-{month:02}-{day:02} 09:00:00')}</wp:post_date><wp:post_date_gmt>{cdata(f'{year}-{month:02}-{day:02} 08:00:00')}</wp:post_date_gmt>
<wp:post_name>{cdata(slug)}</wp:post_name><wp:status>{cdata(status)}</wp:status><wp:post_parent>0</wp:post_parent><wp:post_type>{cdata('post')}</wp:post_type><wp:post_password>{cdata('')}</wp:post_password><wp:is_sticky>0</wp:is_sticky>
{''.join(its)}<wp:postmeta><wp:meta_key>{cdata('_thumbnail_id')}</wp:meta_key><wp:meta_value>{cdata(str(att_ids[photo]))}</wp:meta_value></wp:postmeta>
<wp:comment><wp:comment_approved>1</wp:comment_approved></wp:comment></item>""")
authors = "".join(f"<wp:author><wp:author_id>{a + 1}</wp:author_id><wp:author_login>{cdata('author' + str(a))}</wp:author_login><wp:author_display_name>{cdata('Reporter ' + str(a))}</wp:author_display_name></wp:author>" for a in range(40))
terms = "".join(f"<wp:category><wp:term_id>{k + 1}</wp:term_id><wp:category_nicename>{cdata(c)}</wp:category_nicename><wp:category_parent>{cdata(p)}</wp:category_parent><wp:cat_name>{cdata(c.title())}</wp:cat_name></wp:category>" for k, (c, p) in enumerate(cats))
terms += "".join(f"<wp:tag><wp:term_id>{100 + k}</wp:term_id><wp:tag_slug>{cdata(t)}</wp:tag_slug><wp:tag_name>{cdata(t.replace('-', ' ').title())}</wp:tag_name></wp:tag>" for k, t in enumerate(tags))
with open(os.path.join(out, "export.xml"), "w") as f:
    f.write(f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Bench Gazette</title><link>{site}</link><wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>{site}</wp:base_site_url><wp:base_blog_url>{site}</wp:base_blog_url>
{authors}{terms}
""")
    for it in items:
        f.write(it)
        f.write("\n")
    f.write("</channel></rss>\n")
