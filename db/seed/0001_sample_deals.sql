-- Sample deals for the local run, from public announcements. Never applied to a configured server.
INSERT INTO companies (slug, name, country, website, description) VALUES
    ('red-hat', 'Red Hat', 'US', 'https://www.redhat.com', 'Open source enterprise software: Red Hat Enterprise Linux, JBoss, OpenShift.'),
    ('qumranet', 'Qumranet', 'IL', NULL, 'Israeli start-up that created the KVM hypervisor and the SolidICE desktop virtualization product.'),
    ('ibm', 'IBM', 'US', 'https://www.ibm.com', 'International Business Machines.'),
    ('jboss', 'JBoss', 'US', NULL, 'Open source Java application server company.'),
    ('ansible', 'Ansible', 'US', 'https://www.ansible.com', 'IT automation; in the sample data without its deal, so the Swagger UI example can record it.'),
    ('microsoft', 'Microsoft', 'US', 'https://www.microsoft.com', NULL),
    ('github', 'GitHub', 'US', 'https://github.com', 'Code hosting platform.'),
    ('oracle', 'Oracle', 'US', 'https://www.oracle.com', NULL),
    ('sun-microsystems', 'Sun Microsystems', 'US', NULL, 'Maker of Java, Solaris and SPARC.'),
    ('mysql-ab', 'MySQL AB', 'SE', NULL, 'The Swedish company behind the MySQL database.'),
    ('sap', 'SAP', 'DE', 'https://www.sap.com', NULL),
    ('sybase', 'Sybase', 'US', NULL, 'Database and mobile software.'),
    ('business-objects', 'Business Objects', 'FR', NULL, 'Business intelligence software.'),
    ('google', 'Google', 'US', 'https://www.google.com', NULL),
    ('android', 'Android', 'US', NULL, 'Start-up that built the Android mobile operating system.');

INSERT INTO company_aliases (company_id, alias)
SELECT c.id, v.alias
FROM (VALUES ('red-hat', 'Redhat'), ('red-hat', 'Red Hat, Inc.'),
             ('ibm', 'International Business Machines'), ('ibm', 'IBM Corporation'),
             ('sun-microsystems', 'Sun Microsystems, Inc.'), ('google', 'Google LLC'),
             ('android', 'Android Inc.')) AS v (slug, alias)
JOIN companies c ON c.slug = v.slug;

INSERT INTO company_external_ids (company_id, registry, external_id)
SELECT c.id, v.registry, v.external_id
FROM (VALUES ('red-hat', 'wikidata', 'Q45578'), ('red-hat', 'crunchbase', 'red-hat'),
             ('ibm', 'crunchbase', 'ibm'), ('qumranet', 'crunchbase', 'qumranet')) AS v (slug, registry, external_id)
JOIN companies c ON c.slug = v.slug;

INSERT INTO products (maker_id, slug, name, category, description)
SELECT c.id, v.slug, v.name, v.category, v.description
FROM (VALUES (1, 'qumranet', 'kvm', 'KVM', 'virtualization', 'Kernel-based Virtual Machine, the Linux hypervisor.'),
             (2, 'qumranet', 'solidice', 'SolidICE', 'virtualization', 'Virtual desktop infrastructure.'),
             (3, 'red-hat', 'red-hat-enterprise-linux', 'Red Hat Enterprise Linux', 'operating system', NULL),
             (4, 'jboss', 'jboss-application-server', 'JBoss Application Server', 'middleware', NULL),
             (5, 'github', 'github', 'GitHub', 'developer tools', NULL),
             (6, 'sun-microsystems', 'java', 'Java', 'programming language', NULL),
             (7, 'sun-microsystems', 'solaris', 'Solaris', 'operating system', NULL),
             (8, 'mysql-ab', 'mysql', 'MySQL', 'database', NULL),
             (9, 'sybase', 'sybase-ase', 'Sybase ASE', 'database', NULL),
             (10, 'business-objects', 'crystal-reports', 'Crystal Reports', 'business intelligence', NULL),
             (11, 'android', 'android', 'Android', 'operating system', NULL),
             (12, 'ansible', 'ansible', 'Ansible', 'automation', NULL)) AS v (ord, maker, slug, name, category, description)
JOIN companies c ON c.slug = v.maker
ORDER BY v.ord;

-- announced_on holds the first day of the period; the precision says how much of it is known.
INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, closed_on, closed_precision,
                          status, price_amount, price_currency, type, terms, disposition, source_url, notes)
SELECT b.id, t.id, v.announced_on::date, v.announced_precision::date_precision, v.closed_on::date,
       v.closed_precision::date_precision, 'completed', v.amount, v.currency, 'acquisition', v.terms, v.disposition,
       v.source_url, v.notes
FROM (VALUES
    (1, 'red-hat', 'qumranet', '2008-09-04', 'day', NULL, NULL, 107000000::numeric, 'USD', 'cash', 'subsidiary',
     'https://www.redhat.com/en/about/press-releases/qumranet', 'Brought the KVM hypervisor and SolidICE.'),
    (2, 'ibm', 'red-hat', '2018-10-28', 'day', '2019-07-09', 'day', 34000000000, 'USD', 'cash', 'subsidiary',
     'https://newsroom.ibm.com/2019-07-09-IBM-Closes-Landmark-Acquisition-of-Red-Hat-for-34-Billion-Defines-Open-Hybrid-Cloud-Future', NULL),
    (3, 'red-hat', 'jboss', '2006-04-10', 'day', '2006-06-05', 'day', 350000000, 'USD', 'cash-and-stock', 'division',
     NULL, 'USD 350 million up front, up to USD 70 million more on performance.'),
    (4, 'microsoft', 'github', '2018-06-04', 'day', '2018-10-26', 'day', 7500000000, 'USD', 'stock', 'subsidiary', NULL, NULL),
    (5, 'oracle', 'sun-microsystems', '2009-04-20', 'day', '2010-01-27', 'day', 7400000000, 'USD', 'cash', 'merged', NULL, NULL),
    (6, 'sun-microsystems', 'mysql-ab', '2008-01-01', 'month', '2008-02-26', 'day', 1000000000, 'USD', 'cash-and-stock', 'subsidiary',
     NULL, 'Announced in January 2008; the exact day is left at month precision on purpose.'),
    (7, 'sap', 'sybase', '2010-05-12', 'day', '2010-07-29', 'day', 5800000000, 'USD', 'cash', 'subsidiary', NULL, NULL),
    (8, 'sap', 'business-objects', '2007-10-07', 'day', '2008-01-22', 'day', 4800000000, 'EUR', 'cash', 'subsidiary', NULL, NULL),
    (9, 'google', 'android', '2005-07-01', 'month', NULL, NULL, NULL, NULL, NULL, 'division', NULL,
     'Price never disclosed.')
) AS v (ord, buyer, target, announced_on, announced_precision, closed_on, closed_precision, amount, currency, terms,
        disposition, source_url, notes)
JOIN companies b ON b.slug = v.buyer
JOIN companies t ON t.slug = v.target
ORDER BY v.ord;

INSERT INTO acquisition_products (acquisition_id, product_id)
SELECT a.id, p.id
FROM (VALUES ('red-hat', 'qumranet', 'kvm'), ('red-hat', 'qumranet', 'solidice'),
             ('ibm', 'red-hat', 'red-hat-enterprise-linux'), ('red-hat', 'jboss', 'jboss-application-server'),
             ('microsoft', 'github', 'github'), ('oracle', 'sun-microsystems', 'java'),
             ('oracle', 'sun-microsystems', 'solaris'), ('sun-microsystems', 'mysql-ab', 'mysql'),
             ('sap', 'sybase', 'sybase-ase'), ('sap', 'business-objects', 'crystal-reports'),
             ('google', 'android', 'android')) AS v (buyer, target, product)
JOIN companies b ON b.slug = v.buyer
JOIN companies t ON t.slug = v.target
JOIN acquisitions a ON a.buyer_id = b.id AND a.target_id = t.id
JOIN products p ON p.maker_id = t.id AND p.slug = v.product;
