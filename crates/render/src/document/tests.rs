use newsdesk_domain::document::*;

use super::*;

fn md_round_trip(md: &str) -> Document {
    let doc = from_markdown(md);
    let again = from_markdown(&to_markdown(&doc));
    assert_eq!(
        doc,
        again,
        "Markdown → document → Markdown → document changed it.\nMarkdown out:\n{}",
        to_markdown(&doc)
    );
    doc
}

fn env() -> Env {
    let mut e = Env {
        site_url: "https://ledger.example".into(),
        consent_text: "We use your address only to send the newsletter.".into(),
        ..Default::default()
    };
    e.related.insert(
        "harbour-dredging-contract".into(),
        RelatedCard {
            id: 4,
            url: "/harbour-dredging-contract/".into(),
            title: "Who won the <dredging> contract".into(),
            kicker: Some("Investigation".into()),
            image: Some("/media/ab/cd/w640.jpg".into()),
        },
    );
    e.newsletters.push(PromptNewsletter {
        slug: "morning".into(),
        name: "The Morning Ledger".into(),
        description: Some("Every weekday at 7.".into()),
    });
    e
}

#[test]
fn markdown_round_trips_what_markdown_can_say() {
    let doc = md_round_trip(
        "# Council votes\n\nIt was **close**, *very* close, with `code`, ~~strike~~, H<sub>2</sub>O and x<sup>2</sup> \
         and a [link](https://example.org/a \"Title\").\\\nA second line.\n\n## What happened\n\n- First\n- Second with **bold**\n  - nested\n\n\
         3. three\n4. four\n\n> Quoted\n>\n> twice\n\n```rust\nfn main() {}\n```\n\n---\n\n![A harbour at dawn](/media/a.jpg \"The harbour\")\n\n\
         | Year | Tonnes |\n| --- | --- |\n| 2025 | 1,200 |\n\n<!--members-only-->\n\nAfter the cut: \"straight\" quotes and 1. not a list, # not a heading.\n",
    );
    let kinds: Vec<&str> = doc
        .content
        .iter()
        .map(|b| match b {
            Block::Heading { .. } => "heading",
            Block::Paragraph { .. } => "paragraph",
            Block::BulletList { .. } => "bullets",
            Block::OrderedList { .. } => "ordered",
            Block::Blockquote { .. } => "quote",
            Block::CodeBlock { .. } => "code",
            Block::HorizontalRule => "rule",
            Block::Image { .. } => "image",
            Block::Table { .. } => "table",
            Block::MembersOnly => "members",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "heading",
            "paragraph",
            "heading",
            "bullets",
            "ordered",
            "quote",
            "code",
            "rule",
            "image",
            "table",
            "members",
            "paragraph"
        ]
    );
    let Block::Paragraph { content } = &doc.content[1] else { panic!() };
    assert!(
        content
            .iter()
            .any(|i| matches!(i, Inline::Text { text, marks } if text == "2" && marks == &[Mark::Superscript])),
        "{content:?}"
    );
    assert!(content.iter().any(|i| matches!(i, Inline::Text { marks, .. } if matches!(marks.as_slice(), [Mark::Link { attrs }] if attrs.title.as_deref() == Some("Title")))));
    assert!(content.contains(&Inline::HardBreak));
    let Block::OrderedList { attrs, .. } = &doc.content[4] else { panic!() };
    assert_eq!(attrs.start, 3);
    let Block::Image { attrs } = &doc.content[8] else { panic!() };
    assert_eq!((attrs.alt.as_str(), attrs.caption.as_deref()), ("A harbour at dawn", Some("The harbour")));
}

#[test]
fn every_block_round_trips_through_markdown() {
    let fig = |src: &str, caption: &str| Figure {
        src: src.into(),
        alt: "A crane".into(),
        caption: Some(caption.into()),
        credit: Some("Photo: Tidewater Wire".into()),
        media_id: Some(7),
        width: Some(1600),
        height: Some(900),
        ..Default::default()
    };
    let doc = Document::new(vec![
        Block::Paragraph {
            content: vec![Inline::text("Intro with * and _ and [brackets] and <tags> & \"quotes\" -- and... dots")],
        },
        Block::PullQuote {
            attrs: PullQuoteAttrs { attribution: Some("Mayor Ines Duarte".into()) },
            content: vec![Inline::text("We will not be rushed.")],
        },
        Block::Image { attrs: Figure { size: ImageSize::Wide, ..fig("/media/1.jpg", "Cranes at the quay") } },
        Block::Gallery {
            attrs: GalleryAttrs {
                images: vec![fig("/media/2.jpg", "One"), fig("/media/3.jpg", "Two")],
                caption: Some("The quay in pictures".into()),
            },
        },
        Block::Embed {
            attrs: EmbedAttrs { url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into(), ..Default::default() },
        },
        Block::Embed {
            attrs: EmbedAttrs {
                url: "https://vimeo.com/76979871".into(),
                title: Some("The night shift".into()),
                caption: Some("Filmed in May".into()),
                provider: None,
            },
        },
        Block::Callout {
            attrs: CalloutAttrs { title: Some("Fact box".into()) },
            content: vec![Block::Paragraph { content: vec![Inline::text("1,200 tonnes a day.")] }],
        },
        Block::Table {
            content: vec![TableRow {
                content: vec![TableCell { kind: CellType::TableCell, content: vec![Inline::text("no header")] }],
                ..Default::default()
            }],
        },
        Block::Related { attrs: RelatedAttrs { post: "harbour-dredging-contract".into() } },
        Block::Prompt {
            attrs: PromptAttrs {
                kind: PromptKind::Newsletter,
                newsletter: Some("morning".into()),
                text: Some("Start your day with us.".into()),
            },
        },
        Block::Prompt { attrs: PromptAttrs { kind: PromptKind::Donation, newsletter: None, text: None } },
        Block::MembersOnly,
        Block::Html { attrs: HtmlAttrs { html: "<p class=\"x\">Raw <b>bold</b></p>".into() } },
    ]);
    let md = to_markdown(&doc);
    let back = from_markdown(&md);
    assert_eq!(back, doc, "through Markdown:\n{md}");
    // The plain blocks are plain Markdown.
    assert!(md.contains("\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n"), "{md}");
    // Inline HTML in Markdown becomes marks; unsafe links lose their link, never their text.
    let inline = from_markdown(
        "a <b onclick=\"x()\">bold</b> <a href=\"https://example.org\">ok</a> <a href=\"javascript:x\">no</a>",
    );
    assert_eq!(
        render_html(&inline, &Env::default()),
        "<p>a <strong>bold</strong> <a href=\"https://example.org\" rel=\"noopener noreferrer\">ok</a> no</p>\n"
    );
}

#[test]
fn a_bare_video_url_on_its_own_line_is_an_embed() {
    let doc = from_markdown(
        "Watch:\n\nhttps://youtu.be/dQw4w9WgXcQ\n\n<https://vimeo.com/76979871>\n\nSee https://youtu.be/dQw4w9WgXcQ inline.",
    );
    assert!(matches!(&doc.content[1], Block::Embed { attrs } if attrs.url == "https://youtu.be/dQw4w9WgXcQ"));
    assert!(matches!(&doc.content[2], Block::Embed { .. }));
    assert!(matches!(&doc.content[3], Block::Paragraph { .. }));
}

#[test]
fn embeds_render_as_a_static_preview_that_loads_nothing() {
    let doc = from_markdown("https://www.youtube.com/watch?v=dQw4w9WgXcQ");
    let html = render_html(&doc, &env());
    assert!(html.contains("class=\"embed embed-video\""), "{html}");
    assert!(
        html.contains("data-embed-src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1\""),
        "{html}"
    );
    assert!(html.contains(">YouTube<") && html.contains("Watch on YouTube"), "{html}");
    // Nothing that a browser fetches by itself points at the provider.
    assert!(!html.contains("<iframe") && !html.contains("<img") && !html.contains("<script"), "{html}");
    let email = render_email_html(&doc, &env());
    assert!(email.contains("<a href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\">Watch on YouTube</a>"), "{email}");
}

#[test]
fn every_block_renders() {
    let doc = Document::new(vec![
        Block::Heading { attrs: HeadingAttrs { level: 2 }, content: vec![Inline::text("Section <one>")] },
        Block::Paragraph {
            content: vec![
                Inline::Text {
                    text: "linked ".into(),
                    marks: vec![Mark::Link { attrs: LinkAttrs { href: "/tag/port/".into(), title: None } }],
                },
                Inline::Text {
                    text: "and bold".into(),
                    marks: vec![Mark::Link { attrs: LinkAttrs { href: "/tag/port/".into(), title: None } }, Mark::Bold],
                },
            ],
        },
        Block::PullQuote {
            attrs: PullQuoteAttrs { attribution: Some("Ines".into()) },
            content: vec![Inline::text("Quote")],
        },
        Block::Image {
            attrs: Figure {
                src: "/media/1.jpg".into(),
                alt: "A \"crane\"".into(),
                caption: Some("Cap".into()),
                credit: Some("Photo: Wire".into()),
                size: ImageSize::Full,
                width: Some(1600),
                height: Some(900),
                ..Default::default()
            },
        },
        Block::Gallery {
            attrs: GalleryAttrs {
                images: vec![
                    Figure { src: "/media/2.jpg".into(), ..Default::default() },
                    Figure { src: "/media/3.jpg".into(), ..Default::default() },
                ],
                caption: Some("Gal".into()),
            },
        },
        Block::Callout {
            attrs: CalloutAttrs { title: Some("Facts".into()) },
            content: vec![Block::Paragraph { content: vec![Inline::text("Inside")] }],
        },
        Block::Table {
            content: vec![
                TableRow {
                    content: vec![TableCell { kind: CellType::TableHeader, content: vec![Inline::text("H")] }],
                    ..Default::default()
                },
                TableRow {
                    content: vec![TableCell { kind: CellType::TableCell, content: vec![Inline::text("D")] }],
                    ..Default::default()
                },
            ],
        },
        Block::CodeBlock {
            attrs: CodeAttrs { language: Some("js\" onload=x".into()) },
            content: vec![Inline::text("<b>")],
        },
        Block::HorizontalRule,
        Block::Related { attrs: RelatedAttrs { post: "harbour-dredging-contract".into() } },
        Block::Related { attrs: RelatedAttrs { post: "gone".into() } },
        Block::Prompt { attrs: PromptAttrs::default() },
        Block::Prompt { attrs: PromptAttrs { kind: PromptKind::Donation, ..Default::default() } },
        Block::MembersOnly,
        Block::Html { attrs: HtmlAttrs { html: "<p onclick=\"x()\">ok</p><script>alert(1)</script>".into() } },
    ]);
    let html = render_html(&doc, &env());
    for want in [
        "<h2>Section &lt;one&gt;</h2>",
        "<p><a href=\"/tag/port/\">linked <strong>and bold</strong></a></p>",
        "<figure class=\"pull-quote\"><blockquote><p>Quote</p></blockquote><figcaption>Ines</figcaption></figure>",
        "<figure class=\"block-image size-full\"><img src=\"/media/1.jpg\" alt=\"A &quot;crane&quot;\" width=\"1600\" height=\"900\"",
        "<figcaption>Cap <span class=\"credit\">Photo: Wire</span></figcaption>",
        "<figure class=\"gallery gallery-2\">",
        "<aside class=\"callout\"><p class=\"callout-title\"><strong>Facts</strong></p>",
        "<thead><tr><th>H</th></tr>",
        "<tbody><tr><td>D</td></tr>",
        "<pre><code>&lt;b&gt;</code></pre>",
        "<hr>",
        "<span class=\"kicker\">Investigation</span> <span class=\"related-title\">Who won the &lt;dredging&gt; contract</span>",
        "Get The Morning Ledger in your inbox",
        "name=\"newsletter\" value=\"morning\"",
        "href=\"/support/\"",
        "<!--members-only-->",
        "<div class=\"raw-html\"><p>ok</p></div>",
    ] {
        assert!(html.contains(want), "missing {want}\n{html}");
    }
    assert!(!html.contains("onclick") && !html.contains("<script") && !html.contains("onload"), "{html}");
    // A related story that is gone renders nothing.
    assert_eq!(html.matches("related-card").count(), 1);
    let email = render_email_html(&doc, &env());
    assert!(email.contains("src=\"https://ledger.example/media/1.jpg\""), "{email}");
    assert!(email.contains("href=\"https://ledger.example/tag/port/\""), "{email}");
    assert!(!email.contains("<form"), "no signup form in a newsletter: {email}");
}

#[test]
fn an_empty_heading_cell_is_no_heading() {
    let cell =
        |kind, text: &str| TableCell { kind, content: if text.is_empty() { vec![] } else { vec![Inline::text(text)] } };
    let doc = Document::new(vec![Block::Table {
        content: vec![TableRow {
            content: vec![cell(CellType::TableHeader, "Year"), cell(CellType::TableHeader, "")],
            ..Default::default()
        }],
    }]);
    assert!(render_html(&doc, &env()).contains("<tr><th>Year</th><td></td></tr>"));
}

#[test]
fn text_is_for_listening() {
    let doc = from_markdown(
        "Intro paragraph\n\n## What happened\n\n- First point\n- Second point\n\n![A harbour at dawn](x.jpg)\n\n```\ncode()\n```\n\n<figure>caption</figure>\n\nLast words!",
    );
    assert_eq!(body_text(&doc), "Intro paragraph.\nWhat happened. First point. Second point.\ncaption.\nLast words!");
}

#[test]
fn reads_the_html_wordpress_produces() {
    let wp = r#"<!-- wp:paragraph --><p>The <strong>harbour</strong> board met.</p><!-- /wp:paragraph -->
<!-- wp:heading --><h2 class="wp-block-heading">The vote</h2><!-- /wp:heading -->
<!-- wp:image {"id":12} --><figure class="wp-block-image size-large"><img src="https://old.example/wp-content/uploads/2025/crane.jpg" alt="A crane" class="wp-image-12" width="1024" height="683"/><figcaption class="wp-element-caption">Cranes at dawn</figcaption></figure><!-- /wp:image -->
<!-- wp:embed {"url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ"} --><figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube"><div class="wp-block-embed__wrapper">
https://www.youtube.com/watch?v=dQw4w9WgXcQ
</div></figure><!-- /wp:embed -->
<!-- wp:pullquote --><figure class="wp-block-pullquote"><blockquote><p>We will not be rushed.</p><cite>Ines Duarte</cite></blockquote></figure><!-- /wp:pullquote -->
<!-- wp:gallery --><figure class="wp-block-gallery has-nested-images"><figure class="wp-block-image"><img src="https://old.example/a.jpg" alt="A"/><figcaption>First</figcaption></figure><figure class="wp-block-image"><img src="https://old.example/b.jpg" alt="B"/></figure></figure><!-- /wp:gallery -->
<!-- wp:list --><ul><li>One</li><li>Two <a href="https://example.org">link</a></li></ul><!-- /wp:list -->
<p>Tail<script>alert(1)</script><img src=x onerror=alert(2)></p>"#;
    let doc = from_html(wp);
    let html = render_html(&doc, &env());
    assert!(matches!(&doc.content[0], Block::Paragraph { .. }));
    assert!(matches!(&doc.content[1], Block::Heading { attrs, .. } if attrs.level == 2));
    assert!(
        matches!(&doc.content[2], Block::Image { attrs } if attrs.caption.as_deref() == Some("Cranes at dawn") && attrs.width == Some(1024) && attrs.alt == "A crane"),
        "{:?}",
        doc.content[2]
    );
    assert!(
        matches!(&doc.content[3], Block::Embed { attrs } if attrs.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        "{:?}",
        doc.content[3]
    );
    assert!(
        matches!(&doc.content[4], Block::PullQuote { attrs, .. } if attrs.attribution.as_deref() == Some("Ines Duarte")),
        "{:?}",
        doc.content[4]
    );
    assert!(
        matches!(&doc.content[5], Block::Gallery { attrs } if attrs.images.len() == 2 && attrs.images[0].caption.as_deref() == Some("First")),
        "{:?}",
        doc.content[5]
    );
    assert!(matches!(&doc.content[6], Block::BulletList { content } if content.len() == 2));
    assert!(!html.contains("alert") && !html.contains("onerror"), "{html}");
}

#[test]
fn reads_the_html_ghost_produces() {
    let ghost = r#"<p>Lead with <em>emphasis</em>.</p><figure class="kg-card kg-image-card kg-width-wide kg-card-hascaption"><img src="https://ghost.example/content/images/2025/05/quay.jpg" class="kg-image" alt="The quay" loading="lazy" width="2000" height="1333"><figcaption><span style="white-space: pre-wrap;">The quay at night</span></figcaption></figure><figure class="kg-card kg-embed-card"><iframe width="200" height="113" src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed" frameborder="0" allowfullscreen title="Night shift"></iframe></figure><div class="kg-card kg-callout-card kg-callout-card-grey"><div class="kg-callout-emoji">💡</div><div class="kg-callout-text">Dredging costs €4m a year.</div></div><blockquote class="kg-blockquote-alt">Alt quote style</blockquote><hr><!--members-only--><p>Paid part.</p><div class="kg-card kg-gallery-card kg-width-wide"><div class="kg-gallery-container"><div class="kg-gallery-row"><div class="kg-gallery-image"><img src="https://ghost.example/1.jpg" width="600" height="400" alt=""></div><div class="kg-gallery-image"><img src="https://ghost.example/2.jpg" width="600" height="400" alt=""></div></div></div></div>"#;
    let doc = from_html(ghost);
    let kinds: Vec<String> =
        doc.content.iter().map(|b| serde_json::to_value(b).unwrap()["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        kinds,
        [
            "paragraph",
            "image",
            "embed",
            "callout",
            "pull_quote",
            "horizontal_rule",
            "members_only",
            "paragraph",
            "gallery"
        ]
    );
    assert!(
        matches!(&doc.content[1], Block::Image { attrs } if attrs.size == ImageSize::Wide && attrs.caption.as_deref() == Some("The quay at night"))
    );
    assert!(
        matches!(&doc.content[2], Block::Embed { attrs } if attrs.url.starts_with("https://www.youtube.com/embed/dQw4w9WgXcQ"))
    );
}

#[test]
fn reads_a_google_docs_paste_without_its_styling() {
    let docs = r#"<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1234"><h2 dir="ltr" style="line-height:1.38;margin-top:18pt"><span style="font-size:16pt;font-family:Arial;color:#000000;font-weight:400;">Budget talks stall</span></h2><p dir="ltr" style="line-height:1.38;"><span style="font-size:11pt;font-family:Arial;font-weight:700;">Councillors</span><span style="font-size:11pt;font-family:Arial;font-weight:400;"> left at </span><span style="font-size:11pt;font-style:italic;font-weight:400;">midnight</span><span style="font-weight:400;">, says </span><a href="https://example.org/minutes" style="text-decoration:none;"><span style="color:#1155cc;text-decoration:underline;font-weight:400;">the record</span></a><span>.</span></p><ul style="margin-top:0;"><li dir="ltr" style="list-style-type:disc;"><p dir="ltr" role="presentation"><span style="font-weight:400;">First item</span></p></li><li dir="ltr"><p dir="ltr" role="presentation"><span style="font-weight:400;">Second item</span></p></li></ul></b>"#;
    let doc = from_html(docs);
    assert_eq!(
        to_markdown(&doc),
        "## Budget talks stall\n\n**Councillors** left at *midnight*, says [the record](https://example.org/minutes).\n\n- First item\n- Second item"
    );
}

#[test]
fn hostile_html_never_survives() {
    let hostile = r#"<p>ok</p><iframe src="javascript:alert(1)"></iframe><a href="javascript:alert(2)">x</a><img src="data:image/svg+xml,<svg onload=alert(3)>"><svg><script>alert(4)</script></svg><p style="background:url(javascript:alert(5))">y</p><object data="x"></object>"#;
    let doc = from_html(hostile);
    let html = render_html(&doc, &env());
    for bad in ["javascript", "alert", "<iframe", "<svg", "<object", "style="] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(html.contains("<p>ok</p>") && html.contains("<p>x</p>"), "{html}");
}

#[test]
fn deeply_nested_html_does_not_overflow_the_stack() {
    let html = format!("{}deep{}", "<div><blockquote>".repeat(20_000), "</blockquote></div>".repeat(20_000));
    let handle = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || from_html(&html)).unwrap();
    let doc = handle.join().expect("no stack overflow");
    assert!(doc.check("body").is_ok(), "the result is within the model's limits");
    assert!(render_html(&doc, &Env::default()).contains("deep"));
    // Markdown quotes 30 deep are flattened to the limit, not refused.
    let md = from_markdown(&format!("{} deep quote", ">".repeat(30)));
    assert!(md.check("body").is_ok());
    assert!(to_text::body_text(&md).contains("deep quote"));
}

#[test]
fn deeply_nested_markdown_does_not_overflow_the_stack() {
    for md in [
        format!("{} x", ">".repeat(100_000)),
        format!("{}x", "- ".repeat(50_000)),
        format!("  {}x", "* ".repeat(50_000)),
    ] {
        let handle = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || from_markdown(&md)).unwrap();
        let doc = handle.join().expect("no stack overflow");
        assert!(doc.check("body").is_ok());
    }
}

#[test]
fn a_story_not_for_everyone_is_split_at_the_marker_else_after_its_first_paragraph() {
    let words = |d: &Document| crate::document::body_text(d);
    let doc = from_markdown("Intro.\n\n## Heading\n\nMore.\n\n<!--members-only-->\n\nPaid one.\n\nPaid two.");
    let (preview, rest) = crate::document::split_paid(&doc);
    assert_eq!(words(&preview), "Intro.\nHeading. More.");
    assert_eq!(words(&rest), "Paid one.\nPaid two.");
    let (preview, rest) = crate::document::split_paid(&from_markdown("First.\n\nSecond.\n\nThird."));
    assert_eq!((words(&preview).as_str(), words(&rest).as_str()), ("First.", "Second.\nThird."));
    let (preview, rest) = crate::document::split_paid(&from_markdown("The only paragraph."));
    assert!(preview.content.is_empty(), "a one-paragraph story is paid whole");
    assert_eq!(words(&rest), "The only paragraph.");
    let substack =
        from_html("<p>Free.</p><div class=\"paywall-jump\" data-component-name=\"PaywallToDOM\"></div><p>Paid.</p>");
    let (preview, rest) = crate::document::split_paid(&substack);
    assert_eq!((words(&preview).as_str(), words(&rest).as_str()), ("Free.", "Paid."));
    let r = crate::document::render_for(&doc, &Env::default(), true);
    assert!(!r.html.contains("Paid one") && r.paid_html.contains("Paid one") && r.markdown.contains("Paid one"));
    assert_eq!(r.word_count, 7, "the whole story’s words");
    assert_eq!(r.preview_end, r.html.len(), "a gated story's page HTML is all preview");
}

#[test]
fn a_public_story_knows_where_its_metered_preview_ends() {
    let r = crate::document::render(&from_markdown("First *one*.\n\nSecond.\n\nThird."), &Env::default());
    let (preview, rest) = r.html.split_at(r.preview_end);
    assert!(preview.contains("First") && !preview.contains("Second"), "{preview}");
    assert!(rest.contains("Second") && rest.contains("Third") && !rest.contains("First"), "{rest}");
    let marked = crate::document::render(&from_markdown("A.\n\nB.\n\n<!--members-only-->\n\nC."), &Env::default());
    assert!(marked.html[..marked.preview_end].contains("B.") && !marked.html[..marked.preview_end].contains("C."));
    let brief = crate::document::render(&from_markdown("The only paragraph."), &Env::default());
    assert_eq!(brief.preview_end, 0, "a one-paragraph story shows only its dek before the meter");
}
